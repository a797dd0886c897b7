import { describe, expect, it } from '@jest/globals';
import { LiveNodes, type LiveLink } from '../src/live-nodes.js';

class Item implements LiveLink<Item> {
  liveIn: LiveNodes<Item> | undefined = undefined;
  livePrev: Item | undefined = undefined;
  liveNext: Item | undefined = undefined;
  constructor(readonly id: number) {}
}

const ids = (list: LiveNodes<Item>): number[] => [...list].map((item) => item.id);

describe('LiveNodes', () => {
  it('keeps its nodes in order and counts them, whichever one leaves', () => {
    const list = new LiveNodes<Item>();
    const items = [1, 2, 3, 4].map((id) => new Item(id));
    items.forEach((item) => list.add(item));
    expect(ids(list)).toEqual([1, 2, 3, 4]);
    expect(list.delete(items[0]!)).toBe(true);
    expect(list.delete(items[2]!)).toBe(true);
    expect(list.delete(items[3]!)).toBe(true);
    expect(list.delete(items[3]!)).toBe(false);
    expect(ids(list)).toEqual([2]);
    expect(list.size).toBe(1);
    list.add(items[0]!);
    expect(ids(list)).toEqual([2, 1]);
  });

  it('does not remove a node that is live in another list', () => {
    const [a, b] = [new LiveNodes<Item>(), new LiveNodes<Item>()];
    const item = new Item(1);
    a.add(item);
    expect(b.delete(item)).toBe(false);
    expect(ids(a)).toEqual([1]);
  });

  it('skips, while iterating, the nodes that left meanwhile, as a Set does', () => {
    const list = new LiveNodes<Item>();
    const items = [1, 2, 3, 4].map((id) => new Item(id));
    items.forEach((item) => list.add(item));
    const seen: number[] = [];
    for (const item of list) {
      seen.push(item.id);
      list.delete(item);
      if (item.id === 1) list.delete(items[2]!);
    }
    expect(seen).toEqual([1, 2, 4]);
    expect(list.size).toBe(0);
  });
});
