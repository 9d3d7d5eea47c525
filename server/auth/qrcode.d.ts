// The part of qrcode (MIT) used here: an SVG string on the server.
declare module "qrcode" {
  export function toString(text: string, options: { type: "svg"; errorCorrectionLevel?: "L" | "M" | "Q" | "H"; margin?: number; width?: number }): Promise<string>;
}
