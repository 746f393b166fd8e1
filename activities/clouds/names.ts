// File names at a destination: the suffix Ferry gives a copy when another file already has its name.

/** 'IMG.jpg' -> 'IMG (2).jpg' (the way Drive's and Yandex's own UIs name copies). */
function suffixedName(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}

/** Names tried in order for a wanted name: the name itself, then 'name (2)', 'name (3)', … */
export const MAX_SUFFIX = 1000;
export function* candidateNames(name: string): Generator<string> {
  yield name;
  for (let n = 2; n <= MAX_SUFFIX; n++) yield suffixedName(name, n);
}
