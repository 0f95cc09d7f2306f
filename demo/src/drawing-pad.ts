/**
 * A canvas to draw a garment (or a digit) on, white on black like Fashion-MNIST and MNIST, at ten
 * times the model's 28x28 input. The picture the model sees is the mean of each 10x10 block, shown
 * beside the pad, so soft edges become grey levels as in the dataset. Only for models that take
 * 28x28 grey images (or 784 values): for any other, the page switches the pad off with a note.
 */
import { byId } from './dom';

/** The side of a Fashion-MNIST image, in pixels. */
export const IMAGE_SIDE = 28;

/** Whether the pad can draw for a model of this input shape: [28, 28, 1], or 784 values. */
export function drawable(shape: readonly number[]): boolean {
  return (shape.length === 3 && shape[0] === IMAGE_SIDE && shape[1] === IMAGE_SIDE && shape[2] === 1) ||
    (shape.length === 1 && shape[0] === IMAGE_SIDE * IMAGE_SIDE);
}

export class DrawingPad {
  private readonly canvas = byId('pad', HTMLCanvasElement);
  private readonly preview = byId('pad-preview', HTMLCanvasElement);
  private readonly brush = byId('brush', HTMLInputElement);
  private readonly ctx: CanvasRenderingContext2D;
  private readonly previewCtx: CanvasRenderingContext2D;
  private last: { x: number; y: number } | null = null;
  private changed: (final: boolean) => void = () => {};
  private enabled = true;

  constructor() {
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;
    this.previewCtx = this.preview.getContext('2d')!;
    this.clear();
    this.canvas.addEventListener('pointerdown', (e) => {
      if (!this.enabled) return;
      this.canvas.setPointerCapture(e.pointerId);
      this.last = this.point(e);
      this.dot(this.last);
      this.changed(false);
    });
    this.canvas.addEventListener('pointermove', (e) => {
      if (!this.last) return;
      const p = this.point(e);
      this.line(this.last, p);
      this.last = p;
      this.changed(false);
    });
    const end = () => {
      if (!this.last) return;
      this.last = null;
      this.changed(true);
    };
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', end);
    byId('clear-pad').addEventListener('click', () => {
      this.clear();
      this.changed(true);
    });
  }

  /** Drawing on or off (off: the model takes other images than 28x28 grey ones). */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.canvas.setAttribute('aria-disabled', String(!enabled));
    byId('clear-pad', HTMLButtonElement).disabled = !enabled;
    this.brush.disabled = !enabled;
  }

  /** Called after every change; `final` when a stroke ended (or the pad was cleared or replaced). */
  onChange(listener: (final: boolean) => void): void {
    this.changed = listener;
  }

  clear(): void {
    this.ctx.shadowBlur = 0;
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.updatePreview();
  }

  /** True when nothing is drawn. */
  get empty(): boolean {
    return this.image().every((v) => v === 0);
  }

  /** Puts a 28x28 image (e.g. from the test set) on the pad, enlarged, to look at or draw over. */
  show(image: Uint8Array): void {
    const small = new ImageData(IMAGE_SIDE, IMAGE_SIDE);
    image.forEach((v, i) => small.data.set([v, v, v, 255], i * 4));
    const tmp = document.createElement('canvas');
    tmp.width = tmp.height = IMAGE_SIDE;
    tmp.getContext('2d')!.putImageData(small, 0, 0);
    this.ctx.shadowBlur = 0;
    this.ctx.imageSmoothingEnabled = false;
    this.ctx.drawImage(tmp, 0, 0, this.canvas.width, this.canvas.height);
    this.changed(true);
  }

  /** The 28x28 grey bytes the model sees: each pixel the mean of its block of the pad. */
  image(): Uint8Array<ArrayBuffer> {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const bx = width / IMAGE_SIDE;
    const by = height / IMAGE_SIDE;
    const out = new Uint8Array(IMAGE_SIDE * IMAGE_SIDE);
    for (let r = 0; r < IMAGE_SIDE; r++) {
      for (let c = 0; c < IMAGE_SIDE; c++) {
        let sum = 0;
        let n = 0;
        for (let y = Math.floor(r * by); y < Math.floor((r + 1) * by); y++) {
          for (let x = Math.floor(c * bx); x < Math.floor((c + 1) * bx); x++) {
            sum += rgba[(y * width + x) * 4]!;
            n++;
          }
        }
        out[r * IMAGE_SIDE + c] = Math.round(sum / Math.max(1, n));
      }
    }
    return out;
  }

  updatePreview(): Uint8Array<ArrayBuffer> {
    const image = this.image();
    const data = new ImageData(IMAGE_SIDE, IMAGE_SIDE);
    image.forEach((v, i) => data.data.set([v, v, v, 255], i * 4));
    this.previewCtx.putImageData(data, 0, 0);
    return image;
  }

  private point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * this.canvas.width) / r.width, y: ((e.clientY - r.top) * this.canvas.height) / r.height };
  }

  private style(): void {
    const w = Number(this.brush.value);
    this.ctx.strokeStyle = this.ctx.fillStyle = '#fff';
    this.ctx.lineWidth = w;
    this.ctx.lineCap = this.ctx.lineJoin = 'round';
    // A soft edge, so the downsampled picture has the grey rims the dataset's images have.
    this.ctx.shadowColor = 'rgba(255, 255, 255, 0.6)';
    this.ctx.shadowBlur = w / 3;
  }

  private dot(p: { x: number; y: number }): void {
    this.style();
    this.ctx.beginPath();
    this.ctx.arc(p.x, p.y, this.ctx.lineWidth / 2, 0, 2 * Math.PI);
    this.ctx.fill();
  }

  private line(a: { x: number; y: number }, b: { x: number; y: number }): void {
    this.style();
    this.ctx.beginPath();
    this.ctx.moveTo(a.x, a.y);
    this.ctx.lineTo(b.x, b.y);
    this.ctx.stroke();
  }
}
