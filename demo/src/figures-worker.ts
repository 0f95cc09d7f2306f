/**
 * The results' figures drawn off the page's thread: the confusion matrix and the gallery of
 * misclassified images are wgml's report SVGs (the ones the command line writes), whose PNG
 * encoding of the gallery's images takes longer than a frame. The page posts the numbers and the
 * few misclassified images; this worker answers with the two SVG texts.
 */
import { confusionSvg, misclassifiedGridSvg, type ConfusionSvgOptions, type GalleryOptions, type Misclassified } from '../../src/index';

export interface FiguresRequest {
  id: number;
  confusion: Uint32Array;
  classes: readonly string[];
  confusionOptions: ConfusionSvgOptions;
  wrong: Misclassified[];
  galleryOptions: GalleryOptions;
}

export interface FiguresReply {
  id: number;
  confusion: string;
  /** Null when nothing is misclassified (or there are no probabilities). */
  gallery: string | null;
}

addEventListener('message', (event: MessageEvent<FiguresRequest>) => {
  const r = event.data;
  const reply: FiguresReply = {
    id: r.id,
    confusion: confusionSvg(r.confusion, r.classes, r.confusionOptions),
    gallery: r.wrong.length ? misclassifiedGridSvg(r.wrong, r.classes, r.galleryOptions) : null,
  };
  postMessage(reply);
});
