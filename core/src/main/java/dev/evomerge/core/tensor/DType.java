package dev.evomerge.core.tensor;

import dev.evomerge.core.EvomergeException;

import java.util.Locale;

/** Element types of safetensors files, with their byte sizes and the names used in headers and configs. */
public enum DType {
    F64(8, true), F32(4, true), F16(2, true), BF16(2, true),
    I64(8, false), I32(4, false), I16(2, false), I8(1, false), U8(1, false), BOOL(1, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloating() {
        return floating;
    }

    /** The name in a safetensors header ("BF16"). */
    public String safetensorsName() {
        return name();
    }

    /** The torch name used in config.json's torch_dtype and mergekit's dtype keys ("bfloat16"). */
    public String torchName() {
        return switch (this) {
            case F64 -> "float64";
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            case I64 -> "int64";
            case I32 -> "int32";
            case I16 -> "int16";
            case I8 -> "int8";
            case U8 -> "uint8";
            case BOOL -> "bool";
        };
    }

    /** Parses a safetensors header dtype; null if unknown (the caller names the file and tensor). */
    public static DType fromSafetensors(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /**
     * Parses a user-facing dtype name as mergekit and config.json spell it: bfloat16/bf16, float16/fp16/half,
     * float32/fp32/float, float64/fp64/double, and the integer torch names.
     */
    public static DType parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.startsWith("torch.")) {
            n = n.substring("torch.".length());
        }
        return switch (n) {
            case "bfloat16", "bf16" -> BF16;
            case "float16", "fp16", "f16", "half" -> F16;
            case "float32", "fp32", "f32", "float" -> F32;
            case "float64", "fp64", "f64", "double" -> F64;
            case "int64", "i64", "long" -> I64;
            case "int32", "i32", "int" -> I32;
            case "int16", "i16", "short" -> I16;
            case "int8", "i8" -> I8;
            case "uint8", "u8" -> U8;
            case "bool" -> BOOL;
            default -> throw EvomergeException.usage("Unknown dtype '" + name
                    + "': expected one of bfloat16, float16, float32, float64, int64, int32, int16, int8, uint8, bool.");
        };
    }
}
