package io.inkflow.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;

/** For benchmarks: where a JVM's CPU goes, thread by thread. */
public final class ThreadCpu {
  private ThreadCpu() {}

  /**
   * CPU nanoseconds so far of this JVM's live threads, summed by name with ids and numbers replaced by
   * '#', so that two snapshots compare by role even where thread numbers differ.
   */
  public static Map<String, Long> byName() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Map<String, Long> out = new HashMap<>();
    for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (t != null) {
        out.merge(t.getThreadName().replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}|\\d+", "#"), Math.max(0, mx.getThreadCpuTime(t.getThreadId())), Long::sum);
      }
    }
    return out;
  }
}
