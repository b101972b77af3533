import { useEffect, useState } from "react";
import { api, type ListPage } from "./api";
import type { Member } from "./types";

let cache: Promise<Member[]> | null = null;

/** The team (for "assigned to" names and the assignment picker), fetched once per session. */
export function useMembers(): Member[] {
  const [members, setMembers] = useState<Member[]>([]);
  useEffect(() => {
    cache ??= api.get<ListPage<Member>>("/api/users").then(
      (p) => p.items,
      () => {
        cache = null;
        return [];
      },
    );
    let live = true;
    void cache.then((m) => live && setMembers(m));
    return () => {
      live = false;
    };
  }, []);
  return members;
}

export function invalidateMembers() {
  cache = null;
}

export const memberName = (members: Member[], id: number | null | undefined) => {
  if (id === null || id === undefined) return null;
  const m = members.find((x) => x.id === id);
  return m ? m.name || m.email : `#${id}`;
};
