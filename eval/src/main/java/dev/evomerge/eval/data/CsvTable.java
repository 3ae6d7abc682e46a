package dev.evomerge.eval.data;

import dev.evomerge.core.EvomergeException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A CSV file (RFC 4180: comma separated, double-quoted fields, header row) read into rows the way Hugging Face
 * datasets' pandas-backed CSV loader types them: a column whose cells all parse as integers becomes integers, else
 * as numbers becomes floats, else True/False becomes booleans, else strings; empty cells are null.
 */
final class CsvTable {

    private CsvTable() {
    }

    static List<Map<String, Object>> parse(String text, String where) {
        List<List<String>> records = records(text, where);
        if (records.isEmpty()) {
            return List.of();
        }
        List<String> header = records.getFirst();
        List<List<String>> body = records.subList(1, records.size());
        int columns = header.size();
        for (int r = 0; r < body.size(); r++) {
            if (body.get(r).size() != columns) {
                throw EvomergeException.usage(where + ": CSV row " + (r + 2) + " has " + body.get(r).size()
                        + " fields but the header has " + columns);
            }
        }
        List<java.util.function.Function<String, Object>> typers = new ArrayList<>();
        for (int c = 0; c < columns; c++) {
            typers.add(typer(body, c));
        }
        List<Map<String, Object>> rows = new ArrayList<>(body.size());
        for (List<String> rec : body) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int c = 0; c < columns; c++) {
                String cell = rec.get(c);
                row.put(header.get(c), cell.isEmpty() ? null : typers.get(c).apply(cell));
            }
            rows.add(row);
        }
        return rows;
    }

    private static java.util.function.Function<String, Object> typer(List<List<String>> body, int c) {
        boolean ints = true;
        boolean floats = true;
        boolean bools = true;
        boolean any = false;
        for (List<String> rec : body) {
            String cell = rec.get(c).strip();
            if (rec.get(c).isEmpty()) {
                continue;
            }
            any = true;
            ints &= cell.matches("[+-]?\\d+");
            floats &= cell.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?|[+-]?(inf|nan)");
            bools &= cell.equals("True") || cell.equals("False");
        }
        if (!any) {
            return s -> s;
        }
        if (ints) {
            return s -> Long.parseLong(s.strip().replace("+", ""));
        }
        if (floats) {
            return s -> Double.parseDouble(s.strip().replace("inf", "Infinity").replace("nan", "NaN"));
        }
        if (bools) {
            return s -> s.strip().equals("True");
        }
        return s -> s;
    }

    private static List<List<String>> records(String text, String where) {
        List<List<String>> out = new ArrayList<>();
        List<String> current = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean fieldStarted = false;
        int line = 1;
        int i = text.startsWith("\uFEFF") ? 1 : 0;
        for (; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (quoted) {
                if (ch == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    if (ch == '\n') {
                        line++;
                    }
                    field.append(ch);
                }
                continue;
            }
            switch (ch) {
                case '"' -> {
                    if (field.length() > 0) {
                        throw EvomergeException.usage(where + ":" + line + ": a quote in the middle of a CSV field");
                    }
                    quoted = true;
                    fieldStarted = true;
                }
                case ',' -> {
                    current.add(field.toString());
                    field.setLength(0);
                    fieldStarted = true;
                }
                case '\r' -> {
                }
                case '\n' -> {
                    if (fieldStarted || field.length() > 0 || !current.isEmpty()) {
                        current.add(field.toString());
                        out.add(current);
                    }
                    current = new ArrayList<>();
                    field.setLength(0);
                    fieldStarted = false;
                    line++;
                }
                default -> {
                    field.append(ch);
                    fieldStarted = true;
                }
            }
        }
        if (quoted) {
            throw EvomergeException.usage(where + ": unterminated quoted CSV field");
        }
        if (fieldStarted || field.length() > 0 || !current.isEmpty()) {
            current.add(field.toString());
            out.add(current);
        }
        return out;
    }
}
