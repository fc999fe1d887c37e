package io.inkflow.workers.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MicroBatcherTest {
  record Item(String name, int size) {}

  private static MicroBatcher<Item> batcher() {
    return new MicroBatcher<>(3, 100, i -> new BatchKey("p", "1", i.size(), i.size(), 2));
  }

  @Test
  void releasesFullGroupsAtOnceAndPartialOnesAfterTheWait() {
    MicroBatcher<Item> b = batcher();
    for (int i = 0; i < 4; i++) {
      b.add(new Item("a" + i, 256), 0);
    }
    b.add(new Item("b0", 512), 10);
    List<MicroBatcher.Batch<Item>> now = b.ready(50, 10);
    assertThat(now).singleElement().satisfies(x -> assertThat(x.items()).extracting(Item::name).containsExactly("a0", "a1", "a2"));
    assertThat(b.nanosUntilDue(50)).isEqualTo(50);
    List<MicroBatcher.Batch<Item>> later = b.ready(110, 10);
    assertThat(later).extracting(x -> x.items().size()).containsExactly(1, 1);
    assertThat(b.size()).isZero();
    assertThat(b.nanosUntilDue(110)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void respectsTheLimitAndRemovesByPredicate() {
    MicroBatcher<Item> b = batcher();
    for (int i = 0; i < 7; i++) {
      b.add(new Item("a" + i, 256), 0);
    }
    assertThat(b.ready(0, 1)).hasSize(1);
    assertThat(b.size()).isEqualTo(4);
    assertThat(b.removeIf(i -> i.name().equals("a6"))).hasSize(1);
    assertThat(b.flush(10)).extracting(x -> x.items().size()).containsExactly(3);
    assertThat(b.size()).isZero();
  }
}
