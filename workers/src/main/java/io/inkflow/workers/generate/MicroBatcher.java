package io.inkflow.workers.generate;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Groups items by {@link BatchKey} into micro-batches of at most {@code maxSize}, releasing a group when
 * it is full or its oldest item has waited {@code maxWaitNanos}. Pure logic, no Kafka: time is passed in.
 */
public final class MicroBatcher<T> {
  private final int maxSize;
  private final long maxWaitNanos;
  private final Function<T, BatchKey> keyOf;
  private final Map<BatchKey, Group<T>> groups = new LinkedHashMap<>();
  private int size;

  private static final class Group<T> {
    final long firstAt;
    final List<T> items = new ArrayList<>();

    Group(long firstAt) {
      this.firstAt = firstAt;
    }
  }

  /** A released batch. */
  public record Batch<T>(BatchKey key, List<T> items) {}

  public MicroBatcher(int maxSize, long maxWaitNanos, Function<T, BatchKey> keyOf) {
    if (maxSize < 1) {
      throw new IllegalArgumentException("expected maxSize >= 1, found " + maxSize);
    }
    this.maxSize = maxSize;
    this.maxWaitNanos = maxWaitNanos;
    this.keyOf = keyOf;
  }

  /** Adds an item that arrived at {@code nowNanos}. */
  public void add(T item, long nowNanos) {
    groups.computeIfAbsent(keyOf.apply(item), k -> new Group<>(nowNanos)).items.add(item);
    size++;
  }

  /** Items held. */
  public int size() {
    return size;
  }

  /**
   * Takes at most {@code limit} batches that are ready at {@code nowNanos} (full, or waited long enough),
   * oldest group first. A group larger than {@code maxSize} yields full batches and keeps the rest.
   */
  public List<Batch<T>> ready(long nowNanos, int limit) {
    return take(nowNanos, limit, false);
  }

  /** Takes up to {@code limit} batches regardless of age (draining). */
  public List<Batch<T>> flush(int limit) {
    return take(0, limit, true);
  }

  private List<Batch<T>> take(long nowNanos, int limit, boolean all) {
    List<Batch<T>> out = new ArrayList<>();
    Iterator<Map.Entry<BatchKey, Group<T>>> it = groups.entrySet().iterator();
    while (it.hasNext() && out.size() < limit) {
      Map.Entry<BatchKey, Group<T>> e = it.next();
      Group<T> g = e.getValue();
      boolean expired = all || nowNanos - g.firstAt >= maxWaitNanos;
      while (out.size() < limit && (g.items.size() >= maxSize || (expired && !g.items.isEmpty()))) {
        int n = Math.min(maxSize, g.items.size());
        List<T> head = g.items.subList(0, n);
        out.add(new Batch<>(e.getKey(), new ArrayList<>(head)));
        head.clear();
        size -= n;
      }
      if (g.items.isEmpty()) {
        it.remove();
      }
    }
    return out;
  }

  /** Nanoseconds until the oldest group is due, or {@code Long.MAX_VALUE} when empty. */
  public long nanosUntilDue(long nowNanos) {
    long best = Long.MAX_VALUE;
    for (Group<T> g : groups.values()) {
      if (g.items.size() >= maxSize) {
        return 0;
      }
      best = Math.min(best, Math.max(0, g.firstAt + maxWaitNanos - nowNanos));
    }
    return best;
  }

  /** Removes and returns every held item matching {@code which} (e.g. of revoked partitions). */
  public List<T> removeIf(Predicate<T> which) {
    List<T> removed = new ArrayList<>();
    Iterator<Group<T>> it = groups.values().iterator();
    while (it.hasNext()) {
      Group<T> g = it.next();
      g.items.removeIf(item -> {
        if (which.test(item)) {
          removed.add(item);
          return true;
        }
        return false;
      });
      if (g.items.isEmpty()) {
        it.remove();
      }
    }
    size -= removed.size();
    return removed;
  }
}
