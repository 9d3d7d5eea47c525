export * from "../../../server/schemas/display.js";
