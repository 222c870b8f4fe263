// Answers of the operator's routes: the metrics text, the queue dashboard's page.
import { z } from "zod";

export const metricsTextSchema = z.string().describe("Prometheus text exposition format (version 0.0.4)");

export const queueDashboardPageSchema = z.string().describe("The queue dashboard's HTML page (bull-board)");
