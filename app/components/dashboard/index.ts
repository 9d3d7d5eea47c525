export { Dashboard, type DashboardProps, type DashboardSegment } from "./dashboard.js";
