package dev.evomerge.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.io.PythonJson;
import dev.evomerge.eval.metric.SampleValue;
import dev.evomerge.eval.python.PythonValues;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** lm-eval's per-document sample record (the lines of {@code samples_<task>_<time>.jsonl}). */
final class SampleLog {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SampleLog() {
    }

    static Map<String, Object> record(int docId, Map<String, Object> doc, Object target, List<Object> arguments,
                                      List<Object> resps, List<Object> filtered, String filter,
                                      Map<String, SampleValue> values, List<String> metricNames) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("doc_id", docId);
        r.put("doc", doc);
        r.put("target", target);
        r.put("arguments", arguments);
        r.put("resps", resps);
        r.put("filtered_resps", filtered);
        r.put("filter", filter);
        r.put("metrics", metricNames);
        JsonNode docTree = JSON.valueToTree(doc);
        r.put("doc_hash", sha256(PythonJson.write(docTree, false)));
        Object firstArg = arguments.isEmpty() ? "" : ((List<?>) arguments.getFirst()).getFirst();
        r.put("prompt_hash", sha256(PythonValues.str(firstArg)));
        r.put("target_hash", sha256(PythonValues.str(target)));
        for (String m : metricNames) {
            SampleValue v = values.get(m);
            if (v != null) {
                r.put(m, v.loggable());
            }
        }
        return r;
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
