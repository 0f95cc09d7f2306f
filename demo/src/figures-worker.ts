/**
 * The results' figures drawn off the page's thread: the confusion matrix and the gallery of
 * misclassified images are wgml's report SVGs (the ones the command line writes), whose PNG
 * encoding of the gallery's images takes longer than a frame. The page posts the numbers and the
 * few misclassified images; this worker answers with the two SVG texts (for many classes, the
 * confusion matrix as a picture instead).
 */
import { interpolateBlues } from 'd3-scale-chromatic';
import { confusionSvg, misclassifiedGridSvg, type ConfusionSvgOptions, type GalleryOptions, type Misclassified } from '../../src/index';


export interface FiguresRequest {
  id: number;
  confusion: Uint32Array;
  classes: readonly string[];
  confusionOptions: ConfusionSvgOptions;
  /** Above this many classes, the confusion matrix comes back as a picture. */
  maxSvgClasses: number;
  wrong: Misclassified[];
  galleryOptions: GalleryOptions;
}

export interface FiguresReply {
  id: number;
  /** The SVG, or for many classes a heat map picture (row-normalised shares in Blues, as the SVG's colours). */
  confusion: string | ImageBitmap;
  /** Null when nothing is misclassified (or there are no probabilities). */
  gallery: string | null;
}

/** The confusion matrix as a picture: `cell` pixels per cell, each row's shares coloured as in confusionSvg. */
function heatMap(matrix: Uint32Array, classes: number, cell: number): ImageBitmap {
  const canvas = new OffscreenCanvas(classes * cell, classes * cell);
  const ctx = canvas.getContext('2d')!;
  for (let i = 0; i < classes; i++) {
    let total = 0;
    for (let j = 0; j < classes; j++) total += matrix[i * classes + j]!;
    for (let j = 0; j < classes; j++) {
      ctx.fillStyle = interpolateBlues(total === 0 ? 0 : matrix[i * classes + j]! / total);
      ctx.fillRect(j * cell, i * cell, cell, cell);
    }
  }
  return canvas.transferToImageBitmap();
}

addEventListener('message', (event: MessageEvent<FiguresRequest>) => {
  const r = event.data;
  const k = r.classes.length;
  const confusion = k > r.maxSvgClasses ? heatMap(r.confusion, k, Math.max(2, Math.floor(500 / k))) : confusionSvg(r.confusion, r.classes, r.confusionOptions);
  const reply: FiguresReply = {
    id: r.id,
    confusion,
    gallery: r.wrong.length ? misclassifiedGridSvg(r.wrong, r.classes, r.galleryOptions) : null,
  };
  postMessage(reply, { transfer: typeof confusion === 'string' ? [] : [confusion] });
});
