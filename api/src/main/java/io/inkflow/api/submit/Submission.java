package io.inkflow.api.submit;

import io.inkflow.avro.ApiSubmission;
import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.WebhookDelivery;
import java.util.List;

/**
 * Everything one accepted API call writes, all or nothing: the batch announcement (null for a stand-alone
 * request), the requests, the webhook subscription (null without a callback) and the Idempotency-Key
 * record (null without a key).
 */
public record Submission(BatchSubmitted batch, List<PromptRequest> requests, String webhookKey, WebhookDelivery webhook,
    String idempotencyKey, ApiSubmission idempotency) {
  public Submission {
    requests = List.copyOf(requests);
  }
}
