package dev.evomerge.dashboard;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.AtomicFile;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.core.model.ModelDirectory;
import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.genome.GeneLayout;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.GenerationStats;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.store.StoredLayout;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The static report of a run: report.html (self-contained, charts embedded), the charts as PNG files, and summary.md.
 * Each file is written to a temporary name and renamed, so a failed report never leaves a half-written file.
 */
public final class ReportWriter {

    static final String FITNESS_PNG = "fitness.png";
    static final String METRICS_PNG = "task_metrics.png";
    static final String HEATMAP_PNG = "best_genome.png";

    private ReportWriter() {
    }

    /** Writes the report into {@code out} (created if missing) and returns the files written. */
    public static List<Path> write(RunSummary run, Path out) {
        try {
            Files.createDirectories(out);
            List<Path> written = new ArrayList<>();
            byte[] fitness = png(fitnessChart(run));
            byte[] metrics = png(metricsChart(run));
            byte[] heatmap = heatmapChart(run) == null ? null : png(heatmapChart(run));
            written.add(atomicWrite(out.resolve(FITNESS_PNG), fitness));
            written.add(atomicWrite(out.resolve(METRICS_PNG), metrics));
            if (heatmap != null) {
                written.add(atomicWrite(out.resolve(HEATMAP_PNG), heatmap));
            }
            byte[] pareto = run.pareto() == null ? null : png(ParetoReport.chart(run.pareto()));
            if (pareto != null) {
                written.add(atomicWrite(out.resolve(ParetoReport.PARETO_PNG), pareto));
            }
            written.add(atomicWrite(out.resolve("report.html"), html(run, fitness, metrics, heatmap, pareto).getBytes(StandardCharsets.UTF_8)));
            written.add(atomicWrite(out.resolve("summary.md"), markdown(run).getBytes(StandardCharsets.UTF_8)));
            return written;
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot write the report to " + out + ": " + Reasons.of(e), e);
        }
    }

    static XYChart fitnessChart(RunSummary run) {
        XYChart c = new XYChartBuilder().width(900).height(500).title("Fitness by generation")
                .xAxisTitle("generation").yAxisTitle("fitness").build();
        List<GenerationStats> g = run.generations().stream().filter(GenerationStats::scored).toList();
        if (!g.isEmpty()) {
            double[] x = g.stream().mapToDouble(GenerationStats::generation).toArray();
            c.addSeries("best", x, g.stream().mapToDouble(GenerationStats::best).toArray()).setLineColor(new Color(34, 160, 90));
            c.addSeries("mean", x, g.stream().mapToDouble(GenerationStats::mean).toArray()).setLineColor(new Color(50, 100, 200));
        }
        List<Evaluation> ok = run.candidates().stream().filter(Evaluation::ok).toList();
        if (!ok.isEmpty()) {
            XYSeries s = c.addSeries("candidates", ok.stream().mapToDouble(e -> e.candidate().generation()).toArray(),
                    ok.stream().mapToDouble(Evaluation::score).toArray());
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setMarkerColor(new Color(120, 120, 140, 140));
        }
        if (g.isEmpty() && ok.isEmpty()) {
            c.addSeries("no scored candidates", new double[] {0}, new double[] {0});
        }
        return c;
    }

    static XYChart metricsChart(RunSummary run) {
        XYChart c = new XYChartBuilder().width(900).height(500).title("Task metrics (mean per generation)")
                .xAxisTitle("generation").yAxisTitle("value").build();
        Map<MetricKey, Map<Integer, Double>> m = run.taskMetricMeans();
        for (var e : m.entrySet()) {
            double[] x = e.getValue().keySet().stream().mapToDouble(Integer::doubleValue).toArray();
            double[] y = e.getValue().values().stream().mapToDouble(Double::doubleValue).toArray();
            c.addSeries(e.getKey().text(), x, y);
        }
        if (m.isEmpty()) {
            c.addSeries("no metrics", new double[] {0}, new double[] {0});
        }
        return c;
    }

    /** Layer group x (model, parameter, filter set) heat map of the best genome; null without a layout or a best. */
    static HeatMapChart heatmapChart(RunSummary run) {
        StoredLayout layout = run.layout();
        GeneLayout l = layout == null ? null : layout.geneLayout();
        var best = run.best();
        if (l == null || best.isEmpty()) {
            return null;
        }
        int g = l.layerGroups();
        double[] genes = best.get().candidate().genes();
        List<String> columns = new ArrayList<>();
        List<Number[]> cells = new ArrayList<>();
        int col = 0;
        for (int mi = 0; mi < l.models(); mi++) {
            for (int pi = 0; pi < l.parametersPerSet(); pi++) {
                for (int si = 0; si < l.parameterSets(); si++) {
                    String filter = l.parameterSets() > 1 ? "/" + layout.filterSet(si) : "";
                    columns.add(ModelDirectory.shortName(layout.model(mi)) + " " + l.parameters().get(pi) + filter);
                    for (int gi = 0; gi < g; gi++) {
                        cells.add(new Number[] {col, gi, genes[l.index(gi, mi, si, pi)]});
                    }
                    col++;
                }
            }
        }
        List<String> rows = new ArrayList<>();
        for (int gi = 0; gi < g; gi++) {
            rows.add("group " + gi);
        }
        HeatMapChart c = new HeatMapChartBuilder().width(Math.max(500, 120 * columns.size())).height(Math.max(300, 40 * g + 150))
                .title("Best genome (gene values)").build();
        c.getStyler().setPlotContentSize(1);
        c.getStyler().setShowValue(true);
        c.getStyler().setMin(0);
        c.getStyler().setMax(1);
        c.getStyler().setRangeColors(new Color[] {new Color(245, 248, 255), new Color(40, 110, 220)});
        c.addSeries("genes", columns, rows, cells);
        return c;
    }

    private static byte[] png(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart) throws IOException {
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    static String html(RunSummary run, byte[] fitness, byte[] metrics, byte[] heatmap, byte[] pareto) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>evomerge report: ")
                .append(esc(run.name())).append("</title>\n<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}"
                        + "pre{background:#f0f2f5;padding:.6em;white-space:pre-wrap}table{border-collapse:collapse}"
                        + "td,th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}</style></head><body>\n");
        h.append("<h1>evomerge run ").append(esc(run.name())).append("</h1>\n");
        h.append("<p>Status: ").append(esc(run.meta().getOrDefault("status", "unknown"))).append(". Optimizer: ")
                .append(esc(run.meta().getOrDefault("optimizer", "–"))).append(". Candidates: ").append(run.candidates().size()).append(".</p>\n");
        run.best().ifPresent(b -> h.append("<p>Best fitness ").append(b.score()).append(" (generation ").append(b.candidate().generation())
                .append(", candidate ").append(b.candidate().index()).append(").</p>\n"));
        img(h, "Fitness by generation", fitness);
        img(h, "Task metrics", metrics);
        if (heatmap != null) {
            img(h, "Best genome", heatmap);
        }
        if (pareto != null) {
            img(h, "Pareto front", pareto);
            ParetoReport.html(h, run.pareto());
        }
        h.append("<h2>Per generation</h2>\n<table><tr><th>generation</th><th>candidates</th><th>failed</th><th>best</th><th>mean</th><th>best so far</th></tr>\n");
        for (GenerationStats g : run.generations()) {
            h.append("<tr><td>").append(g.generation()).append("</td><td>").append(g.candidates()).append("</td><td>").append(g.failed())
                    .append("</td><td>").append(fmt(g.best())).append("</td><td>").append(fmt(g.mean())).append("</td><td>")
                    .append(fmt(g.bestSoFar())).append("</td></tr>\n");
        }
        h.append("</table>\n");
        run.best().ifPresent(b -> h.append("<h2>Best recipe</h2>\n<pre>").append(esc(b.candidate().mergeYaml() == null ? "" : b.candidate().mergeYaml())).append("</pre>\n"));
        if (!run.exchanges().isEmpty()) {
            h.append("<h2>LLM thoughts</h2>\n<p id=\"llm-counts\">").append(run.llmCounts().text()).append(", ")
                    .append(run.llmTokensText()).append(".</p>\n<ol>\n");
            for (LlmExchange x : run.exchanges()) {
                h.append("<li>generation ").append(x.generation()).append(x.attempt() > 1 ? ", attempt " + x.attempt() : "").append(": ");
                switch (x.kind()) {
                    case LlmExchange.FALLBACK -> h.append("<em>fallback to the best genome: ").append(esc(String.valueOf(x.error())))
                            .append("</em> ");
                    case LlmExchange.RETRY -> h.append("<em>retry: ").append(esc(String.valueOf(x.error()))).append("</em> ");
                    case LlmExchange.ERROR -> h.append("<em>failed: ").append(esc(String.valueOf(x.error()))).append("</em> ");
                    case LlmExchange.CORRECTION -> h.append("<em>correction: ").append(esc(String.valueOf(x.error())))
                            .append("</em> ");
                    case LlmExchange.TRIM -> h.append("<em>").append(esc(String.valueOf(x.error()))).append("</em> ");
                    default -> { }
                }
                h.append(esc(x.thought() == null ? "" : x.thought())).append("</li>\n");
            }
            h.append("</ol>\n");
        }
        h.append("<h2>Configuration</h2>\n<pre>").append(esc(run.meta().getOrDefault("config_yaml", ""))).append("</pre>\n</body></html>\n");
        return h.toString();
    }

    private static void img(StringBuilder h, String alt, byte[] png) {
        h.append("<h2>").append(esc(alt)).append("</h2>\n<img alt=\"").append(esc(alt)).append("\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(png)).append("\">\n");
    }

    static String markdown(RunSummary run) {
        StringBuilder md = new StringBuilder("# evomerge run " + run.name() + "\n\n");
        md.append("- status: ").append(run.meta().getOrDefault("status", "unknown")).append('\n');
        md.append("- optimizer: ").append(run.meta().getOrDefault("optimizer", "–")).append('\n');
        md.append("- candidates: ").append(run.candidates().size()).append('\n');
        run.best().ifPresent(b -> md.append("- best fitness: ").append(b.score()).append(" (generation ").append(b.candidate().generation())
                .append(", candidate ").append(b.candidate().index()).append(")\n"));
        if (!run.exchanges().isEmpty()) {
            md.append("- LLM: ").append(run.llmCounts().text()).append(", ").append(run.llmTokensText()).append('\n');
        }
        md.append("\n| generation | candidates | failed | best | mean | best so far |\n|---|---|---|---|---|---|\n");
        for (GenerationStats g : run.generations()) {
            md.append("| ").append(g.generation()).append(" | ").append(g.candidates()).append(" | ").append(g.failed()).append(" | ")
                    .append(fmt(g.best())).append(" | ").append(fmt(g.mean())).append(" | ").append(fmt(g.bestSoFar())).append(" |\n");
        }
        md.append("\n![fitness](").append(FITNESS_PNG).append(")\n![task metrics](").append(METRICS_PNG).append(")\n");
        if (heatmapChart(run) != null) {
            md.append("![best genome](").append(HEATMAP_PNG).append(")\n");
        }
        if (run.pareto() != null) {
            ParetoReport.markdown(md, run.pareto());
        }
        run.best().ifPresent(b -> md.append("\n## Best recipe\n\n```yaml\n").append(b.candidate().mergeYaml() == null ? "" : b.candidate().mergeYaml()).append("```\n"));
        return md.toString();
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "–" : String.format(java.util.Locale.ROOT, "%.4f", v);
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static Path atomicWrite(Path target, byte[] bytes) {
        AtomicFile.write(target, bytes);
        return target;
    }
}
