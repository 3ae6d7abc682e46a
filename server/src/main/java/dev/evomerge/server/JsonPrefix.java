package dev.evomerge.server;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Whether a text is the beginning of a JSON object, what {@code response_format: json_object} decoding allows:
 * at most {@link #MAX_LEADING_WHITESPACE} whitespace characters, then one object per RFC 8259. Runs of more than
 * {@link #MAX_WHITESPACE} whitespace characters outside strings count as invalid so a model cannot pad forever.
 */
final class JsonPrefix {

    /** The outcome of checking a text. */
    sealed interface Result {
    }

    /** The text cannot be continued into a JSON object. */
    record Invalid(int at) implements Result {
    }

    /** The text is a proper prefix of some JSON object. */
    record Partial() implements Result {
    }

    /** A whole JSON object ends at {@code end} (exclusive); whatever follows is not part of it. */
    record Complete(int end) implements Result {
    }

    static final int MAX_WHITESPACE = 32;
    static final int MAX_LEADING_WHITESPACE = 4;

    private enum Mode {
        START, OBJECT_FIRST_KEY, OBJECT_KEY, COLON, VALUE, ARRAY_FIRST_VALUE, AFTER_VALUE,
        STRING, ESCAPE, UNICODE, LITERAL, NUMBER
    }

    private enum Num { MINUS, ZERO, INT, DOT, FRAC, EXP, EXP_SIGN, EXP_DIGITS }

    private JsonPrefix() {
    }

    static Result check(CharSequence text) {
        Deque<Character> stack = new ArrayDeque<>();
        Mode mode = Mode.START;
        boolean stringIsKey = false;
        int hexLeft = 0;
        String literal = null;
        int literalPos = 0;
        Num num = null;
        int whitespaceRun = 0;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            boolean ws = c == ' ' || c == '\t' || c == '\n' || c == '\r';
            switch (mode) {
                case STRING -> {
                    if (c == '"') {
                        mode = stringIsKey ? Mode.COLON : Mode.AFTER_VALUE;
                    } else if (c == '\\') {
                        mode = Mode.ESCAPE;
                    } else if (c < 0x20) {
                        return new Invalid(i);
                    }
                    i++;
                    continue;
                }
                case ESCAPE -> {
                    if (c == 'u') {
                        mode = Mode.UNICODE;
                        hexLeft = 4;
                    } else if ("\"\\/bfnrt".indexOf(c) >= 0) {
                        mode = Mode.STRING;
                    } else {
                        return new Invalid(i);
                    }
                    i++;
                    continue;
                }
                case UNICODE -> {
                    if (Character.digit(c, 16) < 0) {
                        return new Invalid(i);
                    }
                    if (--hexLeft == 0) {
                        mode = Mode.STRING;
                    }
                    i++;
                    continue;
                }
                case LITERAL -> {
                    if (c != literal.charAt(literalPos)) {
                        return new Invalid(i);
                    }
                    if (++literalPos == literal.length()) {
                        mode = Mode.AFTER_VALUE;
                    }
                    i++;
                    continue;
                }
                case NUMBER -> {
                    Num next = numberStep(num, c);
                    if (next != null) {
                        num = next;
                        i++;
                        continue;
                    }
                    if (num == Num.MINUS || num == Num.DOT || num == Num.EXP || num == Num.EXP_SIGN) {
                        return new Invalid(i);
                    }
                    mode = Mode.AFTER_VALUE;
                    continue; // the number ended: look at c again after the value
                }
                default -> {
                }
            }
            if (ws) {
                if (++whitespaceRun > (mode == Mode.START ? MAX_LEADING_WHITESPACE : MAX_WHITESPACE)) {
                    return new Invalid(i);
                }
                i++;
                continue;
            }
            whitespaceRun = 0;
            switch (mode) {
                case START -> {
                    if (c != '{') {
                        return new Invalid(i);
                    }
                    stack.push('{');
                    mode = Mode.OBJECT_FIRST_KEY;
                }
                case OBJECT_FIRST_KEY, OBJECT_KEY -> {
                    if (c == '"') {
                        mode = Mode.STRING;
                        stringIsKey = true;
                    } else if (c == '}' && mode == Mode.OBJECT_FIRST_KEY) {
                        stack.pop();
                        mode = Mode.AFTER_VALUE;
                    } else {
                        return new Invalid(i);
                    }
                }
                case COLON -> {
                    if (c != ':') {
                        return new Invalid(i);
                    }
                    mode = Mode.VALUE;
                }
                case VALUE, ARRAY_FIRST_VALUE -> {
                    if (c == ']' && mode == Mode.ARRAY_FIRST_VALUE) {
                        stack.pop();
                        mode = Mode.AFTER_VALUE;
                    } else if (c == '{') {
                        stack.push('{');
                        mode = Mode.OBJECT_FIRST_KEY;
                    } else if (c == '[') {
                        stack.push('[');
                        mode = Mode.ARRAY_FIRST_VALUE;
                    } else if (c == '"') {
                        mode = Mode.STRING;
                        stringIsKey = false;
                    } else if (c == 't' || c == 'f' || c == 'n') {
                        literal = c == 't' ? "true" : c == 'f' ? "false" : "null";
                        literalPos = 1;
                        mode = Mode.LITERAL;
                    } else if (c == '-' || c >= '0' && c <= '9') {
                        num = c == '-' ? Num.MINUS : c == '0' ? Num.ZERO : Num.INT;
                        mode = Mode.NUMBER;
                    } else {
                        return new Invalid(i);
                    }
                }
                case AFTER_VALUE -> {
                    char open = stack.peek();
                    if (c == ',') {
                        mode = open == '{' ? Mode.OBJECT_KEY : Mode.VALUE;
                    } else if (c == '}' && open == '{' || c == ']' && open == '[') {
                        stack.pop();
                        mode = Mode.AFTER_VALUE;
                    } else {
                        return new Invalid(i);
                    }
                }
                default -> throw new IllegalStateException(mode.toString());
            }
            if (mode == Mode.AFTER_VALUE && stack.isEmpty()) {
                return new Complete(i + 1); // the outermost object just closed
            }
            i++;
        }
        return new Partial();
    }

    /**
     * {@link #check} on UTF-8 bytes: malformed UTF-8 is invalid; an unfinished character at the end is allowed only
     * where a non-ASCII character is (inside a string), since the next bytes may complete it; everything before it is
     * checked as text.
     */
    static Result check(byte[] utf8) {
        java.nio.charset.CharsetDecoder decoder = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(utf8);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(utf8.length + 1);
        // not the end of input: an unfinished last character stays in the buffer instead of being an error
        java.nio.charset.CoderResult r = decoder.decode(in, out, false);
        if (r.isError()) {
            return new Invalid(out.position());
        }
        out.flip();
        String text = out.toString();
        if (in.hasRemaining()) {
            // a stand-in for the character to come: any non-ASCII, non-control character is valid exactly where
            // the unfinished one would be
            return switch (check(text + '\u00E9')) {
                case Complete c -> new Invalid(text.length());
                case Result other -> other;
            };
        }
        return check(text);
    }

    /** The number state after {@code c}, or null when {@code c} does not continue the number. */
    private static Num numberStep(Num state, char c) {
        boolean digit = c >= '0' && c <= '9';
        return switch (state) {
            case MINUS -> digit ? (c == '0' ? Num.ZERO : Num.INT) : null;
            case ZERO -> c == '.' ? Num.DOT : c == 'e' || c == 'E' ? Num.EXP : null;
            case INT -> digit ? Num.INT : c == '.' ? Num.DOT : c == 'e' || c == 'E' ? Num.EXP : null;
            case DOT, FRAC -> digit ? Num.FRAC : state == Num.FRAC && (c == 'e' || c == 'E') ? Num.EXP : null;
            case EXP -> digit ? Num.EXP_DIGITS : c == '+' || c == '-' ? Num.EXP_SIGN : null;
            case EXP_SIGN, EXP_DIGITS -> digit ? Num.EXP_DIGITS : null;
        };
    }
}
