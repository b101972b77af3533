/** The JSON API client: same origin, session cookie, problem details (RFC 9457) turned into ApiError. */

export interface Problem {
  line?: number;
  field?: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly problems: Problem[] = [],
    readonly body: unknown = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

let onUnauthenticated: (() => void) | null = null;
/** Called when a request answers 401 (session expired): the app shows the login screen. */
export function setUnauthenticatedHandler(handler: (() => void) | null) {
  onUnauthenticated = handler;
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}${path.includes("?") ? "&" : "?"}${s}` : path;
}

async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  init: { signal?: AbortSignal; quiet401?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: "same-origin", signal: init.signal });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const p = (data ?? {}) as { detail?: string; title?: string; code?: string; problems?: Problem[] };
    if (res.status === 401 && !init.quiet401) onUnauthenticated?.();
    throw new ApiError(res.status, p.detail ?? p.title ?? res.statusText, p.code ?? "error", p.problems ?? [], data);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, query?: Query, init?: { signal?: AbortSignal; quiet401?: boolean }) =>
    request<T>("GET", withQuery(path, query), undefined, init),
  post: <T>(path: string, body?: unknown, init?: { quiet401?: boolean }) => request<T>("POST", path, body ?? {}, init),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
  del: <T>(path: string) => request<T>("DELETE", path),
  /** Multipart upload with progress (fetch has no upload progress). */
  upload<T>(path: string, form: FormData, onProgress?: (fraction: number) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", path);
      xhr.setRequestHeader("accept", "application/json");
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
      };
      xhr.onerror = () => reject(new ApiError(0, "network error", "network"));
      xhr.onload = () => {
        let data: unknown = null;
        try {
          data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
        } catch {
          data = xhr.responseText;
        }
        if (xhr.status >= 200 && xhr.status < 300) return resolve(data as T);
        const p = (data ?? {}) as { detail?: string; title?: string; code?: string; problems?: Problem[] };
        if (xhr.status === 401) onUnauthenticated?.();
        reject(new ApiError(xhr.status, p.detail ?? p.title ?? xhr.statusText, p.code ?? "error", p.problems ?? [], data));
      };
      xhr.send(form);
    });
  },
};

export interface ListPage<T> {
  items: T[];
  nextCursor: string | null;
}
