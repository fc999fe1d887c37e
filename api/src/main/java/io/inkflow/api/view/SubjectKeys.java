package io.inkflow.api.view;

import io.inkflow.avro.WebhookSubjectKind;
import java.util.Locale;

/** Keys of webhook subscriptions: {@code request:ID} or {@code batch:ID}, so a batch and a request may share an id. */
public final class SubjectKeys {
  private SubjectKeys() {}

  public static String of(WebhookSubjectKind kind, String subjectId) {
    return kind.name().toLowerCase(Locale.ROOT) + ":" + subjectId;
  }

  public static String request(String requestId) {
    return of(WebhookSubjectKind.REQUEST, requestId);
  }

  public static String batch(String batchId) {
    return of(WebhookSubjectKind.BATCH, batchId);
  }
}
