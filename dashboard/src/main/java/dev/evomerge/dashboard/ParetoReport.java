package dev.evomerge.dashboard;

import dev.evomerge.evolve.objective.Objective;
import dev.evomerge.evolve.store.ParetoStore;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The multi-objective part of a run's report: a scatter of the first two objectives (every candidate, the current
 * front highlighted), the front's members with their STORAGE/pareto file and scores, and the hypervolume per
 * generation. The dashboard offers every pair of objectives; the report shows the first two.
 */
final class ParetoReport {

    static final String PARETO_PNG = "pareto.png";

    private ParetoReport() {
    }

    /** The scatter of objectives 0 and 1 (objective 0 against itself for a one-objective run). */
    static XYChart chart(FrontView v) {
        List<Objective> o = v.objectives();
        int yi = o.size() > 1 ? 1 : 0;
        XYChart c = new XYChartBuilder().width(900).height(500).title("Pareto front").xAxisTitle(label(o.get(0)))
                .yAxisTitle(label(o.get(yi))).build();
        Set<ParetoStore.CandidateId> front = new HashSet<>(v.front());
        List<ParetoStore.Point> on = v.points().stream().filter(p -> front.contains(id(p))).toList();
        List<ParetoStore.Point> off = v.points().stream().filter(p -> !front.contains(id(p))).toList();
        if (!off.isEmpty()) {
            series(c, "candidates", off, yi, new Color(120, 120, 140, 140));
        }
        if (!on.isEmpty()) {
            series(c, "front", on, yi, new Color(200, 50, 50));
        }
        if (on.isEmpty() && off.isEmpty()) {
            c.addSeries("no scored candidates", new double[] {0}, new double[] {0});
        }
        return c;
    }

    private static void series(XYChart c, String name, List<ParetoStore.Point> points, int yi, Color color) {
        XYSeries s = c.addSeries(name, points.stream().mapToDouble(p -> p.values()[0]).toArray(),
                points.stream().mapToDouble(p -> p.values()[yi]).toArray());
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        s.setMarker(SeriesMarkers.CIRCLE);
        s.setMarkerColor(color);
    }

    private static ParetoStore.CandidateId id(ParetoStore.Point p) {
        return new ParetoStore.CandidateId(p.generation(), p.index());
    }

    private static String label(Objective o) {
        return o.name() + (o.minimised() ? " (min)" : "");
    }

    /** The section of report.html after the best recipe: the front table and the hypervolume table (the chart is an image). */
    static void html(StringBuilder h, FrontView v) {
        Map<ParetoStore.CandidateId, double[]> values = v.values();
        h.append("<h2>Front members</h2>\n<p>Merge one with <code>evomerge merge STORAGE/pareto/NAME.yaml OUT</code>.</p>\n")
                .append("<table id=\"front\"><tr><th>member</th><th>file</th>");
        v.objectives().forEach(o -> h.append("<th>").append(ReportWriter.esc(label(o))).append("</th>"));
        h.append("</tr>\n");
        for (ParetoStore.CandidateId id : v.front()) {
            h.append("<tr><td>").append(FrontView.name(id)).append("</td><td>pareto/").append(FrontView.name(id))
                    .append(".yaml</td>");
            double[] x = values.get(id);
            for (int i = 0; i < v.objectives().size(); i++) {
                h.append("<td>").append(x == null ? "–" : num(x[i])).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n<h2>Hypervolume by generation</h2>\n<table id=\"hypervolume\"><tr><th>generation</th>"
                + "<th>hypervolume</th><th>front size</th></tr>\n");
        for (ParetoStore.Front f : v.fronts()) {
            h.append("<tr><td>").append(f.generation()).append("</td><td>").append(num(f.hypervolume())).append("</td><td>")
                    .append(f.members().size()).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    /** The same section of summary.md. */
    static void markdown(StringBuilder md, FrontView v) {
        Map<ParetoStore.CandidateId, double[]> values = v.values();
        md.append("\n## Pareto front\n\n![pareto front](").append(PARETO_PNG).append(")\n\n| member | file |");
        v.objectives().forEach(o -> md.append(' ').append(label(o)).append(" |"));
        md.append("\n|---|---|").append("---|".repeat(v.objectives().size())).append('\n');
        for (ParetoStore.CandidateId id : v.front()) {
            md.append("| ").append(FrontView.name(id)).append(" | pareto/").append(FrontView.name(id)).append(".yaml |");
            double[] x = values.get(id);
            for (int i = 0; i < v.objectives().size(); i++) {
                md.append(' ').append(x == null ? "–" : num(x[i])).append(" |");
            }
            md.append('\n');
        }
        md.append("\n| generation | hypervolume | front size |\n|---|---|---|\n");
        for (ParetoStore.Front f : v.fronts()) {
            md.append("| ").append(f.generation()).append(" | ").append(num(f.hypervolume())).append(" | ")
                    .append(f.members().size()).append(" |\n");
        }
    }

    /** Six significant digits: accuracies and parameter counts alike. */
    static String num(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }
}
