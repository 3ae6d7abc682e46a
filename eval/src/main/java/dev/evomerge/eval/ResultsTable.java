package dev.evomerge.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * lm-eval's results table as markdown: Tasks | Version | Filter | n-shot | Metric | ↑/↓ | Value | ± | Stderr, one row
 * per metric (sorted by "metric,filter"), the task and version only on a task's first row.
 */
public final class ResultsTable {

    private static final String[] HEADERS = {"Tasks", "Version", "Filter", "n-shot", "Metric", "", "Value", "", "Stderr"};
    private static final boolean[] RIGHT = {false, true, false, true, false, false, true, false, true};

    private ResultsTable() {
    }

    /** The tasks' table, followed by a groups table when there are groups. */
    public static String markdown(EvaluationResults r) {
        List<String[]> rows = new ArrayList<>();
        for (TaskResult t : r.tasks()) {
            addRows(rows, t.alias(), t.version(), String.valueOf(t.nShot()), t.metrics());
        }
        StringBuilder out = new StringBuilder(render(HEADERS, rows));
        if (!r.groups().isEmpty()) {
            List<String[]> groupRows = new ArrayList<>();
            for (GroupResult g : r.groups()) {
                addRows(groupRows, g.alias(), g.version(), " ", g.metrics());
            }
            String[] headers = HEADERS.clone();
            headers[0] = "Groups";
            out.append('\n').append(render(headers, groupRows));
        }
        return out.toString();
    }

    private static void addRows(List<String[]> rows, String name, Object version, String nShot,
                                List<MetricResult> metrics) {
        List<MetricResult> sorted = new ArrayList<>(metrics);
        sorted.sort(Comparator.comparing(MetricResult::key));
        String k = name;
        String v = version(version);
        for (MetricResult m : sorted) {
            String se = m.stderr().isPresent() ? format(m.stderr().getAsDouble()) : "   N/A";
            rows.add(new String[] {k, v, m.filter(), nShot, m.metric(), m.higherIsBetter() ? "↑" : "↓",
                    format(m.value()), "±", se});
            k = "";
            v = "";
        }
    }

    private static String version(Object v) {
        if (v instanceof Double d && d == Math.rint(d)) {
            return String.valueOf(d.longValue());
        }
        return v == null ? "N/A" : String.valueOf(v);
    }

    private static String format(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static String render(String[] headers, List<String[]> rows) {
        int[] width = new int[headers.length];
        for (int c = 0; c < headers.length; c++) {
            width[c] = Math.max(3, headers[c].codePointCount(0, headers[c].length()));
            for (String[] row : rows) {
                width[c] = Math.max(width[c], row[c].codePointCount(0, row[c].length()));
            }
        }
        StringBuilder out = new StringBuilder("|");
        for (int c = 0; c < headers.length; c++) {
            out.append(center(headers[c], width[c])).append('|');
        }
        out.append("\n|");
        for (int c = 0; c < headers.length; c++) {
            out.append("-".repeat(RIGHT[c] ? width[c] - 1 : width[c])).append(RIGHT[c] ? ":" : "").append('|');
        }
        out.append('\n');
        for (String[] row : rows) {
            out.append('|');
            for (int c = 0; c < headers.length; c++) {
                out.append(pad(row[c], width[c], RIGHT[c])).append('|');
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(Math.max(0, width - s.codePointCount(0, s.length())));
        return right ? fill + s : s + fill;
    }

    private static String center(String s, int width) {
        int total = Math.max(0, width - s.length());
        int left = total / 2;
        return " ".repeat(left) + s + " ".repeat(total - left);
    }
}
