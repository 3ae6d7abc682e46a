package dev.evomerge.core.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Cross-checks with the reference implementation (Python safetensors, whose parser is the Rust crate): files we
 * write load there with the same values, and files it writes load here. Fails, rather than skips, under CI=true
 * when python3 with safetensors and numpy is missing.
 */
class PythonCrossCheckTest {

    @TempDir
    Path tmp;

    @BeforeAll
    static void requirePython() {
        boolean available;
        try {
            available = run(List.of("python3", "-c", "import safetensors, safetensors.numpy, numpy"), null).exit == 0;
        } catch (IOException e) {
            available = false;
        }
        if (!available) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("python3 with safetensors and numpy is required in CI (pip install safetensors numpy)");
            }
            Assumptions.abort("python3 with safetensors and numpy is not installed");
        }
    }

    private record Result(int exit, String out) {
    }

    private static Result run(List<String> command, Path workDir) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("python3 timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private String python(String script, String... args) throws IOException {
        Path file = tmp.resolve("check.py");
        Files.writeString(file, script);
        List<String> cmd = new ArrayList<>(List.of("python3", file.toString()));
        cmd.addAll(List.of(args));
        Result r = run(cmd, tmp);
        assertThat(r.exit).as("python output:\n" + r.out).isZero();
        return r.out;
    }

    /** A tensor to write: values chosen exactly representable in their dtype, so both sides agree bit for bit. */
    private record Spec(String name, DType dtype, long[] shape, double[] values) {
        TensorInfo info() {
            return new TensorInfo(name, dtype, new Shape(shape));
        }
    }

    private static List<Spec> javaTensors() {
        return List.of(
                new Spec("embed.f32", DType.F32, new long[] {2, 3},
                        new double[] {1.5, -2.25, 0.0, 3.0e-5f, 1024.0, -0.125}),
                new Spec("layer.bf16", DType.BF16, new long[] {2, 2}, new double[] {1.0, -0.5, 3.140625, 65536.0}),
                // 1023 x 2^-24 is the largest fp16 subnormal.
                new Spec("layer.f16", DType.F16, new long[] {4}, new double[] {0.5, -65504.0, 1023 * 0x1p-24, 2.0}),
                new Spec("layer.f64", DType.F64, new long[] {3}, new double[] {0.1, -1e300, 7.0}),
                new Spec("ids.i64", DType.I64, new long[] {2}, new double[] {-1099511627776.0, 5}),
                new Spec("ids.i32", DType.I32, new long[] {3}, new double[] {-2147483648.0, 0, 7}),
                new Spec("ids.i16", DType.I16, new long[] {2}, new double[] {-32768, 32767}),
                new Spec("ids.i8", DType.I8, new long[] {4}, new double[] {-128, 127, 0, -1}),
                new Spec("ids.u8", DType.U8, new long[] {3}, new double[] {0, 255, 17}),
                new Spec("mask.bool", DType.BOOL, new long[] {3}, new double[] {1, 0, 1}),
                new Spec("empty", DType.F32, new long[] {0, 4}, new double[] {}));
    }

    private static final String READ_SCRIPT = """
            import json, sys, os
            import numpy as np
            import safetensors, safetensors.numpy
            d = sys.argv[1]
            index = None
            p = os.path.join(d, "model.safetensors.index.json")
            if os.path.exists(p):
                raw = open(p).read()
                index = json.loads(raw)
                # Our index must be byte-identical to what transformers writes for the same content.
                assert raw == json.dumps(index, indent=2, sort_keys=True) + "\\n", "index formatting differs"
            np_types = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
                        "I8": "i1", "U8": "u1", "BOOL": "?"}
            out = {"index": index, "files": {}}
            for name in sorted(os.listdir(d)):
                if not name.endswith(".safetensors"):
                    continue
                path = os.path.join(d, name)
                with safetensors.safe_open(path, framework="numpy") as f:
                    meta = f.metadata()
                entries = {}
                has_bf16 = False
                # deserialize() runs the Rust reference parser and validation over the whole file.
                for tname, t in safetensors.deserialize(open(path, "rb").read()):
                    if t["dtype"] == "BF16":
                        has_bf16 = True
                        bits = np.frombuffer(bytes(t["data"]), dtype="<u2").astype("<u4") << 16
                        values = bits.view("<f4").astype(np.float64)
                    else:
                        values = np.frombuffer(bytes(t["data"]), dtype=np_types[t["dtype"]]).astype(np.float64)
                    entries[tname] = {"dtype": t["dtype"], "shape": list(t["shape"]), "values": values.tolist()}
                if not has_bf16:
                    # numpy cannot hold bf16, so load_file is only checked on the shards without it.
                    for tname, arr in safetensors.numpy.load_file(path).items():
                        assert list(arr.shape) == entries[tname]["shape"], tname
                        assert arr.astype(np.float64).ravel().tolist() == entries[tname]["values"], tname
                out["files"][name] = {"metadata": meta, "tensors": entries}
            print(json.dumps(out))
            """;

    @Test
    void pythonReadsWhatWeWrite() throws IOException {
        Path dir = tmp.resolve("java-out");
        List<Spec> specs = javaTensors();
        Map<String, Spec> byName = new LinkedHashMap<>();
        specs.forEach(sp -> byName.put(sp.name(), sp));
        // 24-byte shards: six files, one of them holding the F32 tensor exactly at the limit.
        try (SafetensorsWriter w = SafetensorsWriter.create(dir, specs.stream().map(Spec::info).toList(), 24)) {
            for (Spec sp : specs) {
                // Written from F64 sources, so the writer's dtype conversion is exercised on every tensor.
                Tensor src = Tensor.allocate(DType.F64, new Shape(sp.shape()));
                for (int i = 0; i < sp.values().length; i++) {
                    src.setDouble(i, sp.values()[i]);
                }
                w.accept(sp.name(), src);
            }
            w.commit();
        }
        assertThat(shardFiles(dir)).hasSize(6);

        JsonNode out = new ObjectMapper().readTree(python(READ_SCRIPT, dir.toString()));
        JsonNode weightMap = out.get("index").get("weight_map");
        assertThat(weightMap.size()).isEqualTo(specs.size());
        long total = 0;
        int seen = 0;
        for (var file : out.get("files").properties()) {
            assertThat(file.getValue().get("metadata").get("format").asText()).isEqualTo("pt");
            for (var t : file.getValue().get("tensors").properties()) {
                String name = t.getKey();
                Spec sp = byName.get(name);
                assertThat(sp).as(name).isNotNull();
                assertThat(weightMap.get(name).asText()).as(name).isEqualTo(file.getKey());
                assertThat(t.getValue().get("dtype").asText()).isEqualTo(sp.dtype().safetensorsName());
                List<Long> shape = new ArrayList<>();
                t.getValue().get("shape").forEach(n -> shape.add(n.asLong()));
                assertThat(shape).containsExactlyElementsOf(Arrays.stream(sp.shape()).boxed().toList());
                JsonNode got = t.getValue().get("values");
                assertThat(got.size()).isEqualTo(sp.values().length);
                for (int i = 0; i < sp.values().length; i++) {
                    double expected = sp.dtype() == DType.F32 ? (float) sp.values()[i] : sp.values()[i];
                    assertThat(got.get(i).asDouble()).as("%s[%d]", name, i).isEqualTo(expected);
                }
                total += sp.info().byteSize();
                seen++;
            }
        }
        assertThat(seen).isEqualTo(specs.size());
        assertThat(out.get("index").get("metadata").get("total_size").asLong()).isEqualTo(total);
    }

    private static List<Path> shardFiles(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".safetensors")).toList();
        }
    }

    private static final String WRITE_SCRIPT = """
            import sys
            import numpy as np
            from safetensors.numpy import save_file
            tensors = {
                "f32": np.array([[1.5, -2.25, 3.0], [0.0, -0.0, 1e-3]], dtype=np.float32),
                "f16": np.array([0.5, -65504.0, 2.0**-24], dtype=np.float16),
                "f64": np.array([0.1, -1e300], dtype=np.float64),
                "i64": np.array([-(2**40), 3], dtype=np.int64),
                "i32": np.array([[-(2**31)], [2**31 - 1]], dtype=np.int32),
                "i16": np.array([-300], dtype=np.int16),
                "i8": np.array([-5, 6], dtype=np.int8),
                "u8": np.array([250, 1, 2], dtype=np.uint8),
                "bool": np.array([True, False], dtype=np.bool_),
                "scalar": np.array(4.25, dtype=np.float32),
            }
            save_file(tensors, sys.argv[1], metadata={"source": "python", "format": "np"})
            """;

    @Test
    void weReadWhatPythonWrites() throws IOException {
        Path file = tmp.resolve("py.safetensors");
        python(WRITE_SCRIPT, file.toString());
        Map<String, Object[]> expected = new LinkedHashMap<>();
        expected.put("f32", new Object[] {DType.F32, new long[] {2, 3},
                new double[] {1.5, -2.25, 3.0, 0.0, -0.0, 1e-3f}});
        expected.put("f16", new Object[] {DType.F16, new long[] {3}, new double[] {0.5, -65504.0, 0x1p-24}});
        expected.put("f64", new Object[] {DType.F64, new long[] {2}, new double[] {0.1, -1e300}});
        expected.put("i64", new Object[] {DType.I64, new long[] {2}, new double[] {-1099511627776.0, 3}});
        expected.put("i32", new Object[] {DType.I32, new long[] {2, 1}, new double[] {-2147483648.0, 2147483647.0}});
        expected.put("i16", new Object[] {DType.I16, new long[] {1}, new double[] {-300}});
        expected.put("i8", new Object[] {DType.I8, new long[] {2}, new double[] {-5, 6}});
        expected.put("u8", new Object[] {DType.U8, new long[] {3}, new double[] {250, 1, 2}});
        expected.put("bool", new Object[] {DType.BOOL, new long[] {2}, new double[] {1, 0}});
        expected.put("scalar", new Object[] {DType.F32, new long[] {}, new double[] {4.25}});

        try (SafetensorsModel m = SafetensorsModel.open(file);
             SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.metadata()).isEqualTo(Map.of("source", "python", "format", "np"));
            assertThat(m.tensorNames()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            // Storage order: offsets increase along tensorNames().
            long previous = -1;
            for (String name : m.tensorNames()) {
                assertThat(f.fileOffset(name)).isGreaterThanOrEqualTo(previous);
                previous = f.fileOffset(name);
            }
            expected.forEach((name, spec) -> {
                Tensor t = m.tensor(name);
                assertThat(t.dtype()).as(name).isEqualTo(spec[0]);
                assertThat(t.shape()).as(name).isEqualTo(new Shape((long[]) spec[1]));
                double[] values = (double[]) spec[2];
                for (int i = 0; i < values.length; i++) {
                    assertThat(t.getDouble(i)).as("%s[%d]", name, i).isEqualTo(values[i]);
                }
            });
        }
    }
}
