// The Prometheus text exposition format (version 0.0.4), as Prometheus's own parser reads it: for tests
// that check what Ferry serves on /metrics, and that read the samples back (the dashboard test).
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const LABELS = `\\{(?:${LABEL}(?:,${LABEL})*,?)?\\}`;
/**
 * A sample value is "a float represented as required by Go's ParseFloat()", which Prometheus calls
 * after refusing hex floats and `_` separators: decimal or exponent notation, or NaN and (signed) Inf /
 * Infinity in any letter case. The format's own spelling is `NaN`, `+Inf`, `-Inf`; prom-client prints
 * `Nan` (an event-loop mean with no samples yet), which Prometheus reads as NaN all the same.
 */
const VALUE =
  '(?:[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[nN][aA][nN]|[+-]?[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)';
const SAMPLE_LINE = new RegExp(`^(${NAME})(${LABELS})? (${VALUE})(?: -?[0-9]+)?$`);
const VALUE_ONLY = new RegExp(`^${VALUE}$`);
const TYPE_LINE = new RegExp(`^# TYPE ${NAME} (counter|gauge|histogram|summary|untyped)$`);
const HELP_LINE = new RegExp(`^# HELP ${NAME}( .*)?$`);
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g;

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: string;
}

/** True when Prometheus would read `text` as a sample value. */
export const isSampleValue = (text: string): boolean => VALUE_ONLY.test(text);

/** Lines of `text` that are not valid exposition format (empty when all are). */
export function invalidLines(text: string): string[] {
  return text.split('\n').filter((line) => {
    if (line === '' || SAMPLE_LINE.test(line)) return false;
    if (line.startsWith('# TYPE ')) return !TYPE_LINE.test(line);
    if (line.startsWith('# HELP ')) return !HELP_LINE.test(line);
    return !line.startsWith('#'); // any other # line is a comment
  });
}

/** Every sample of a valid exposition. */
export function samples(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const m = SAMPLE_LINE.exec(line);
    if (!m) return [];
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(LABEL_PAIR)].map((p) => [p[1]!, p[2]!]));
    return [{ name: m[1]!, labels, value: m[3]! }];
  });
}
