/**
 * A canvas to draw on, at the model's input size enlarged to the pad: white on black for grey
 * models (like Fashion-MNIST and MNIST), in a chosen colour for colour models (like CIFAR). The
 * picture the model sees is the mean of each block of the pad, per channel, shown beside it, so
 * soft edges become intermediate levels as in the datasets. A photo or any image can be dropped
 * on the pad (or chosen): it is scaled to fill the square. Any model that takes [h, w, 1],
 * [h, w, 3], or a square number of values (a flattened grey image) can be drawn for.
 */
import { byId } from './dom';

/** What the pad draws for a model: its picture's size and channels. */
export interface PadShape {
  height: number;
  width: number;
  channels: 1 | 3;
}

/** The pad's picture for a model of input `shape`, or null when the pad cannot draw for it. */
export function padShape(shape: readonly number[]): PadShape | null {
  if (shape.length === 3 && (shape[2] === 1 || shape[2] === 3)) return { height: shape[0]!, width: shape[1]!, channels: shape[2] };
  const side = shape.length === 1 ? Math.round(Math.sqrt(shape[0]!)) : 0;
  return side > 0 && side * side === shape[0] ? { height: side, width: side, channels: 1 } : null;
}

/** "28x28 grey" or "32x32 colour". */
export function padText(s: PadShape): string {
  return `${s.height}x${s.width} ${s.channels === 3 ? 'colour' : 'grey'}`;
}

export class DrawingPad {
  private readonly canvas = byId('pad', HTMLCanvasElement);
  private readonly preview = byId('pad-preview', HTMLCanvasElement);
  private readonly brush = byId('brush', HTMLInputElement);
  private readonly colour = byId('brush-colour', HTMLInputElement);
  private readonly ctx: CanvasRenderingContext2D;
  private readonly previewCtx: CanvasRenderingContext2D;
  private last: { x: number; y: number } | null = null;
  private changed: (final: boolean) => void = () => {};
  private enabled = true;
  private size: PadShape = { height: 28, width: 28, channels: 1 };

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

  /** The picture's size and channels (the model's input); redraws the preview at that size. */
  setShape(shape: PadShape): void {
    if (shape.height === this.size.height && shape.width === this.size.width && shape.channels === this.size.channels) return;
    const toGrey = shape.channels === 1 && this.size.channels === 3;
    this.size = shape;
    this.preview.width = shape.width;
    this.preview.height = shape.height;
    this.colour.hidden = shape.channels === 1;
    // A colour drawing left on a grey pad would be seen as grey anyway; start clean.
    if (toGrey) this.clear();
    else this.updatePreview();
  }

  get shape(): PadShape {
    return this.size;
  }

  /** Drawing on or off (off: the model takes inputs the pad cannot make). */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.canvas.setAttribute('aria-disabled', String(!enabled));
    byId('clear-pad', HTMLButtonElement).disabled = !enabled;
    byId('pad-image', HTMLInputElement).disabled = !enabled;
    this.brush.disabled = !enabled;
    this.colour.disabled = !enabled;
  }

  get isEnabled(): boolean {
    return this.enabled;
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

  /** True when nothing is drawn (the pad is black). */
  get empty(): boolean {
    return this.image().every((v) => v === 0);
  }

  /** Puts an image of the pad's shape (bytes, HWC, e.g. from the test set) on the pad, enlarged, to look at or draw over. */
  show(image: Uint8Array): void {
    const { width, height, channels } = this.size;
    const small = new ImageData(width, height);
    for (let p = 0; p < width * height; p++) {
      const rgb = channels === 3 ? [image[p * 3]!, image[p * 3 + 1]!, image[p * 3 + 2]!] : [image[p]!, image[p]!, image[p]!];
      small.data.set([...rgb, 255], p * 4);
    }
    const tmp = document.createElement('canvas');
    tmp.width = width;
    tmp.height = height;
    tmp.getContext('2d')!.putImageData(small, 0, 0);
    this.ctx.shadowBlur = 0;
    this.ctx.imageSmoothingEnabled = false;
    this.ctx.drawImage(tmp, 0, 0, this.canvas.width, this.canvas.height);
    this.changed(true);
  }

  /**
   * An image file (PNG, JPEG, WebP…) on the pad, scaled to cover the square (its centre kept);
   * rejects with a message when the browser cannot decode it.
   */
  async showFile(file: Blob & { name?: string }): Promise<void> {
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      throw new Error(`${file.name ?? 'The file'} is not an image this browser can read (PNG, JPEG, WebP, GIF or BMP).`);
    }
    const { width: cw, height: ch } = this.canvas;
    const scale = Math.max(cw / bitmap.width, ch / bitmap.height);
    const w = bitmap.width * scale;
    const h = bitmap.height * scale;
    this.ctx.shadowBlur = 0;
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, cw, ch);
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.drawImage(bitmap, (cw - w) / 2, (ch - h) / 2, w, h);
    bitmap.close();
    this.changed(true);
  }

  /** The bytes the model sees (HWC): each pixel the mean of its block of the pad, per channel. */
  image(): Uint8Array<ArrayBuffer> {
    const { width, height } = this.canvas;
    const { height: rows, width: cols, channels } = this.size;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const bx = width / cols;
    const by = height / rows;
    const out = new Uint8Array(rows * cols * channels);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const sum: [number, number, number] = [0, 0, 0];
        let n = 0;
        for (let y = Math.floor(r * by); y < Math.floor((r + 1) * by); y++) {
          for (let x = Math.floor(c * bx); x < Math.floor((c + 1) * bx); x++) {
            const at = (y * width + x) * 4;
            sum[0] += rgba[at]!;
            sum[1] += rgba[at + 1]!;
            sum[2] += rgba[at + 2]!;
            n++;
          }
        }
        n = Math.max(1, n);
        const p = r * cols + c;
        // Grey: the luma of the mean colour (white strokes on black give the stroke's level exactly).
        if (channels === 1) out[p] = Math.round((0.299 * sum[0] + 0.587 * sum[1] + 0.114 * sum[2]) / n);
        else for (let k = 0; k < 3; k++) out[p * 3 + k] = Math.round(sum[k as 0 | 1 | 2] / n);
      }
    }
    return out;
  }

  updatePreview(): Uint8Array<ArrayBuffer> {
    const image = this.image();
    const { width, height, channels } = this.size;
    const data = new ImageData(width, height);
    for (let p = 0; p < width * height; p++) {
      data.data.set(channels === 3 ? [image[p * 3]!, image[p * 3 + 1]!, image[p * 3 + 2]!, 255] : [image[p]!, image[p]!, image[p]!, 255], p * 4);
    }
    this.previewCtx.putImageData(data, 0, 0);
    return image;
  }

  private point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * this.canvas.width) / r.width, y: ((e.clientY - r.top) * this.canvas.height) / r.height };
  }

  private style(): void {
    // The brush scales with the picture: the same stroke covers the same share of it at any size.
    const w = (Number(this.brush.value) * 28) / Math.max(this.size.width, this.size.height);
    const ink = this.size.channels === 3 ? this.colour.value : '#ffffff';
    this.ctx.strokeStyle = this.ctx.fillStyle = ink;
    this.ctx.lineWidth = w;
    this.ctx.lineCap = this.ctx.lineJoin = 'round';
    // A soft edge, so the downsampled picture has the intermediate rims the datasets' images have.
    this.ctx.shadowColor = `${ink}99`;
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
