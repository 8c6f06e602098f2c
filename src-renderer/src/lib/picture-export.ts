/**
 * The topology picture in the browser: the SVG from the backend saved as is,
 * or drawn on a canvas and saved as PNG (no server-side browser needed).
 * The SVG is loaded as a data: image (the page's CSP allows `img-src data:`),
 * which keeps the canvas untainted.
 */

/** Width and height from the SVG's root attributes. */
export function svgPixelSize(svg: string): { width: number; height: number } | undefined {
  const m = /<svg[^>]*\swidth="(\d+(?:\.\d+)?)"[^>]*\sheight="(\d+(?:\.\d+)?)"/.exec(svg);
  return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
}

/** Draw `svg` at `scale`× on a white canvas and encode it as PNG. */
export async function svgToPngBlob(svg: string, scale = 2): Promise<Blob> {
  const size = svgPixelSize(svg);
  if (!size) throw new Error('the picture has no size');
  const img = new Image();
  img.decoding = 'sync';
  const loaded = new Promise<void>((resolve, reject) => {
    img.onload = () => resolve();
    img.onerror = () => reject(new Error('the browser could not draw the SVG'));
  });
  img.src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(svg)))}`;
  await loaded;
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(size.width * scale);
  canvas.height = Math.round(size.height * scale);
  const g = canvas.getContext('2d');
  if (!g) throw new Error('the browser has no 2D canvas');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.drawImage(img, 0, 0, canvas.width, canvas.height);
  return new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode the PNG'))), 'image/png'));
}

/** Hand a blob to the browser as a file download. */
export function downloadBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
