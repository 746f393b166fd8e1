// A Map of a fake's stored items that also knows each folder's children, so that a listing looks at
// one folder instead of the whole store: the real services answer a folder listing in time that does
// not grow with the size of the drive, and a benchmark of 50,000 files must measure Ferry, not a fake
// scanning every file it holds on every request.
export class ParentIndexedMap<V> extends Map<string, V> {
  private readonly children = new Map<string, Set<string>>();
  private readonly parentsIndexed = new Map<string, string[]>();
  /** Insertion order of each key, so that children come out in the order a full scan gives. */
  private readonly order = new Map<string, number>();
  private nextOrder = 0;

  constructor(private readonly parentsOf: (value: V) => readonly string[]) {
    super();
  }

  /** Stores `value`; calling it again for a stored item re-reads its parents (after they changed). */
  override set(key: string, value: V): this {
    this.unindex(key);
    super.set(key, value);
    if (!this.order.has(key)) this.order.set(key, this.nextOrder++);
    const parents = [...this.parentsOf(value)];
    this.parentsIndexed.set(key, parents);
    for (const p of parents) {
      let set = this.children.get(p);
      if (!set) this.children.set(p, (set = new Set()));
      set.add(key);
    }
    return this;
  }

  override delete(key: string): boolean {
    this.unindex(key);
    this.order.delete(key);
    return super.delete(key);
  }

  override clear(): void {
    this.children.clear();
    this.parentsIndexed.clear();
    this.order.clear();
    super.clear();
  }

  /** The items whose parents include `parent`, in insertion order. */
  childrenOf(parent: string): V[] {
    const keys = [...(this.children.get(parent) ?? [])];
    keys.sort((a, b) => this.order.get(a)! - this.order.get(b)!);
    return keys.map((k) => this.get(k)!);
  }

  private unindex(key: string): void {
    for (const p of this.parentsIndexed.get(key) ?? []) {
      const set = this.children.get(p);
      set?.delete(key);
      if (set?.size === 0) this.children.delete(p);
    }
    this.parentsIndexed.delete(key);
  }
}
