/** A few 20×20 stroke icons (no icon font, no extra requests). */
const PATHS = {
  home: "M3 9.5 10 4l7 5.5V16a1 1 0 0 1-1 1h-3.5v-4.5h-5V17H4a1 1 0 0 1-1-1z",
  users:
    "M7.5 9.5a3 3 0 1 0 0-6 3 3 0 0 0 0 6M2 16.5c.5-2.8 2.7-4.5 5.5-4.5s5 1.7 5.5 4.5M13 4a2.7 2.7 0 0 1 0 5.3M15 12.2c1.6.5 2.7 2 3 4.3",
  file: "M5 2.5h6.5L15 6v11.5H5zM11 2.5V6.5h4M7.5 10h5M7.5 13h5",
  send: "M17.5 2.5 9 11M17.5 2.5 12 17.5l-3-6.5-6.5-3z",
  upload: "M10 13V3.5M6 7.5l4-4 4 4M3.5 13v3.5h13V13",
  link: "M8.5 11.5a3.5 3.5 0 0 0 5 0l2.5-2.5a3.5 3.5 0 0 0-5-5l-1 1M11.5 8.5a3.5 3.5 0 0 0-5 0L4 11a3.5 3.5 0 0 0 5 5l1-1",
  settings:
    "M10 12.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5M16.2 12a1.3 1.3 0 0 0 .3 1.4l.1.1a1.6 1.6 0 1 1-2.3 2.3l-.1-.1a1.3 1.3 0 0 0-2.2.9v.2a1.6 1.6 0 1 1-3.2 0v-.1a1.3 1.3 0 0 0-2.2-.9l-.1.1a1.6 1.6 0 1 1-2.3-2.3l.1-.1a1.3 1.3 0 0 0-.9-2.2h-.2a1.6 1.6 0 1 1 0-3.2h.1a1.3 1.3 0 0 0 .9-2.2l-.1-.1A1.6 1.6 0 1 1 6.4 3.6l.1.1a1.3 1.3 0 0 0 2.2-.9v-.2a1.6 1.6 0 1 1 3.2 0v.1a1.3 1.3 0 0 0 2.2.9l.1-.1a1.6 1.6 0 1 1 2.3 2.3l-.1.1a1.3 1.3 0 0 0 .9 2.2h.2a1.6 1.6 0 1 1 0 3.2h-.1a1.3 1.3 0 0 0-1.2.8",
  search: "M9 15.5a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13M17.5 17.5 13.7 13.7",
  logout: "M12.5 14.5v2h-9v-13h9v2M8.5 10h9M15 7l3 3-3 3",
  chevronRight: "M7.5 4.5 13 10l-5.5 5.5",
  chevronLeft: "M12.5 4.5 7 10l5.5 5.5",
  chevronDown: "M4.5 7.5 10 13l5.5-5.5",
  plus: "M10 4v12M4 10h12",
  close: "M5 5l10 10M15 5 5 15",
  check: "M4 10.5 8 14.5 16 5.5",
  alert: "M10 7v4M10 14h.01M8.6 3.2 2.3 14.5A1.6 1.6 0 0 0 3.7 17h12.6a1.6 1.6 0 0 0 1.4-2.5L11.4 3.2a1.6 1.6 0 0 0-2.8 0",
  pause: "M7 4.5v11M13 4.5v11",
  play: "M6 4.5v11l9-5.5z",
  note: "M4 3.5h12v9l-4 4H4zM12 16.5v-4h4",
  phone:
    "M17.5 14.1v2.3a1.5 1.5 0 0 1-1.7 1.5A15 15 0 0 1 2.1 4.2 1.5 1.5 0 0 1 3.6 2.5h2.3a1.5 1.5 0 0 1 1.5 1.3c.1.8.3 1.5.6 2.2a1.5 1.5 0 0 1-.4 1.6l-1 1a12 12 0 0 0 4.7 4.7l1-1a1.5 1.5 0 0 1 1.6-.4c.7.3 1.4.5 2.2.6a1.5 1.5 0 0 1 1.3 1.5",
  mail: "M3 4.5h14v11H3zM3 5l7 6 7-6",
  calendar: "M3.5 5h13v11.5h-13zM3.5 8.5h13M7 3v3.5M13 3v3.5",
  flag: "M4.5 17.5V3M4.5 3.5h10l-2 3.5 2 3.5h-10",
  coins:
    "M10 3c3.6 0 6.5 1.1 6.5 2.5S13.6 8 10 8 3.5 6.9 3.5 5.5 6.4 3 10 3M3.5 5.5v4.5c0 1.4 2.9 2.5 6.5 2.5s6.5-1.1 6.5-2.5V5.5M3.5 10v4.5C3.5 15.9 6.4 17 10 17s6.5-1.1 6.5-2.5V10",
  download: "M10 3.5V13M6 9l4 4 4-4M3.5 16.5h13",
  copy: "M7 7h9.5v9.5H7zM13 7V3.5H3.5V13H7",
  user: "M10 9.5a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7M3.5 17.5c.6-3.2 3.2-5 6.5-5s5.9 1.8 6.5 5",
  task: "M4 4h12v12H4zM7 10l2 2 4-4",
  handshake: "M2.5 9 6 5.5l4 2 4-2L17.5 9M6 12l2 2 1.5-1M9 11l2.5 2.5L13 12M2.5 9l4 4.5M17.5 9 13 13.5",
  printer: "M5.5 7.5V3h9v4.5M5.5 14h-2V8h13v6h-2M5.5 11.5h9V17h-9z",
  external: "M11 3.5h5.5V9M16.5 3.5 9 11M14 12v4.5H3.5V6H8",
  edit: "M12.5 4.5l3 3L7 16H4v-3zM11 6l3 3",
  globe: "M10 17.5a7.5 7.5 0 1 0 0-15 7.5 7.5 0 0 0 0 15M2.5 10h15M10 2.5c2 2.1 3 4.6 3 7.5s-1 5.4-3 7.5c-2-2.1-3-4.6-3-7.5s1-5.4 3-7.5",
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 16, className }: { name: IconName; size?: number; className?: string }) {
  return (
    <svg
      className={className ? `icon ${className}` : "icon"}
      width={size}
      height={size}
      viewBox="0 0 20 20"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.6}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
