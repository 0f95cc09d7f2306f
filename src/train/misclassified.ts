import type { FashionMnist } from '../data/fashion-mnist';
import type { Misclassified } from '../report/types';
import type { Evaluation } from './trainer';

/** The first `limit` misclassified test images, with the model's answer and its confidence. */
export function misclassified(test: Evaluation, data: FashionMnist, limit: number): Misclassified[] {
  const probs = test.probabilities;
  if (!probs) return [];
  const classes = data.classes.length;
  const pixels = data.rows * data.cols;
  const out: Misclassified[] = [];
  const n = Math.min(data.test.count, probs.length / classes);
  for (let i = 0; i < n && out.length < limit; i++) {
    let predicted = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c]! > probs[i * classes + predicted]!) predicted = c;
    const trueLabel = data.test.labels[i]!;
    if (predicted !== trueLabel) {
      out.push({ image: data.test.images.subarray(i * pixels, (i + 1) * pixels), trueLabel, predicted, confidence: probs[i * classes + predicted]! });
    }
  }
  return out;
}
