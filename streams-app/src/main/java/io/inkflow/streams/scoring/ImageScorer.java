package io.inkflow.streams.scoring;

import io.inkflow.inference.reward.RewardInput;
import io.inkflow.inference.reward.RewardModel;
import io.inkflow.inference.reward.RewardScores;
import java.util.List;

/** Scores a micro-batch of images: the reward pack in production, a stub in topology tests. */
public interface ImageScorer {

  /** One result per input, in order. */
  List<RewardScores> score(List<RewardInput> inputs);

  /** Id of the reward pack. */
  String packId();

  /** Version of the reward pack. */
  String packVersion();

  /** The scorer backed by a loaded reward pack (its owner closes the model). */
  static ImageScorer of(RewardModel model) {
    return new ImageScorer() {
      @Override
      public List<RewardScores> score(List<RewardInput> inputs) {
        return model.score(inputs);
      }

      @Override
      public String packId() {
        return model.manifest().id();
      }

      @Override
      public String packVersion() {
        return model.manifest().version();
      }
    };
  }
}
