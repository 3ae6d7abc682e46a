package dev.evomerge.merge.method;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MergeMethodsTest {

    @Test
    void registryHoldsExactlyMergekitsTwentyMethods() {
        assertThat(MergeMethods.names()).containsExactlyInAnyOrder(
                "linear", "slerp", "nuslerp", "passthrough", "model_stock", "arcee_fusion", "karcher",
                "task_arithmetic", "ties", "dare_ties", "dare_linear", "breadcrumbs", "breadcrumbs_ties", "della",
                "della_linear", "multislerp", "nearswap", "sce", "ram", "ramplus_tl");
        for (String n : MergeMethods.names()) {
            assertThat(MergeMethods.byName(n).name()).isEqualTo(n);
        }
    }

    @Test
    void unknownMethodIsAUsageErrorListingTheValidNames() {
        assertThatThrownBy(() -> MergeMethods.byName("consensus_ties"))
                .isInstanceOf(EvomergeException.class)
                .satisfies(e -> assertThat(((EvomergeException) e).kind()).isEqualTo(EvomergeException.Kind.USAGE))
                .hasMessageContaining("consensus_ties")
                .hasMessageContaining("dare_ties")
                .hasMessageContaining("ramplus_tl");
    }

    /** mergekit's normalize/rescale defaults of the task-arithmetic family, their base-model role and minimum arity. */
    @ParameterizedTest
    @CsvSource({
            // method, normalize default, rescale default, base use, min others
            "task_arithmetic, 0, 0, REQUIRED, 1",
            "ties,            1, 0, REQUIRED, 1",
            "dare_ties,       0, 1, REQUIRED, 1",
            "dare_linear,     0, 1, REQUIRED, 1",
            "breadcrumbs,     0, 0, REQUIRED, 1",
            "breadcrumbs_ties,0, 0, REQUIRED, 1",
            "della,           1, 1, REQUIRED, 1",
            "della_linear,    0, 1, REQUIRED, 1",
    })
    void gtaDefaults(String method, double normalize, double rescale, BaseModelUse use, int min) {
        MergeMethod m = MergeMethods.byName(method);
        assertThat(m.parameter("normalize").defaultValue()).isEqualTo(normalize);
        assertThat(m.parameter("rescale").defaultValue()).isEqualTo(rescale);
        assertThat(m.parameter("int8_mask").defaultValue()).isEqualTo(0.0);
        assertThat(m.parameter("lambda").defaultValue()).isEqualTo(1.0);
        assertThat(m.parameter("weight").required()).isTrue();
        assertThat(m.parameter("weight").scope()).isEqualTo(ParameterSpec.Scope.PER_MODEL);
        assertThat(m.parameter("density").defaultValue()).isEqualTo(1.0);
        assertThat(m.parameter("normalize").scope()).isEqualTo(ParameterSpec.Scope.GLOBAL);
        assertThat(m.parameter("normalize").kind()).isEqualTo(ParameterSpec.Kind.BOOLEAN);
        assertThat(m.baseModelUse()).isEqualTo(use);
        assertThat(m.arity().min()).isEqualTo(min);
        assertThat(m.parameter("gamma") != null).isEqualTo(method.startsWith("breadcrumbs"));
        assertThat(m.parameter("epsilon") != null).isEqualTo(method.startsWith("della"));
        if (method.startsWith("breadcrumbs")) {
            assertThat(m.parameter("gamma").defaultValue()).isEqualTo(0.01);
        }
        if (method.startsWith("della")) {
            assertThat(m.parameter("epsilon").defaultValue()).isEqualTo(0.15);
        }
    }

    @ParameterizedTest
    @CsvSource({
            "linear,       JUST_AN_INPUT, 1, 2147483647",
            "slerp,        SELECTS_T0,    1, 1",
            "nuslerp,      OPTIONAL,      2, 2",
            "multislerp,   OPTIONAL,      1, 2147483647",
            "karcher,      JUST_AN_INPUT, 1, 2147483647",
            "model_stock,  REQUIRED,      2, 2147483647",
            "nearswap,     REQUIRED,      1, 1",
            "arcee_fusion, REQUIRED,      1, 1",
            "sce,          REQUIRED,      1, 2147483647",
            "ram,          REQUIRED,      1, 2147483647",
            "ramplus_tl,   REQUIRED,      1, 2147483647",
            "passthrough,  NONE,          1, 1",
    })
    void baseUseAndArity(String method, BaseModelUse use, int min, int max) {
        MergeMethod m = MergeMethods.byName(method);
        assertThat(m.baseModelUse()).isEqualTo(use);
        assertThat(m.arity()).isEqualTo(new InputArity(min, max));
    }

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
            // method, parameter, scope, default (null = required or None), required
            "linear,      normalize,         GLOBAL,    1.0,    false",
            "slerp,       t,                 GLOBAL,    null,   true",
            "nuslerp,     nuslerp_row_wise,  GLOBAL,    0.0,    false",
            "nuslerp,     nuslerp_flatten,   GLOBAL,    1.0,    false",
            "nuslerp,     weight,            PER_MODEL, null,   true",
            "multislerp,  normalize_weights, GLOBAL,    1.0,    false",
            "multislerp,  eps,               GLOBAL,    1e-8,   false",
            "multislerp,  weight,            PER_MODEL, null,   true",
            "karcher,     max_iter,          GLOBAL,    10,     false",
            "karcher,     tol,               GLOBAL,    1e-5,   false",
            "model_stock, filter_wise,       GLOBAL,    0.0,    false",
            "nearswap,    t,                 GLOBAL,    null,   true",
            "sce,         select_topk,       GLOBAL,    1.0,    false",
            "sce,         int8_mask,         GLOBAL,    0.0,    false",
            "ram,         epsilon,           GLOBAL,    1e-5,   false",
            "ramplus_tl,  r,                 GLOBAL,    0.1,    false",
            "ramplus_tl,  alpha,             GLOBAL,    0.2,    false",
            "ramplus_tl,  epsilon,           GLOBAL,    1e-5,   false",
            "passthrough, scale,             PER_MODEL, null,   false",
    })
    void otherDefaults(String method, String param, ParameterSpec.Scope scope, Double def, boolean required) {
        ParameterSpec p = MergeMethods.byName(method).parameter(param);
        assertThat(p).isNotNull();
        assertThat(p.scope()).isEqualTo(scope);
        assertThat(p.defaultValue()).isEqualTo(def);
        assertThat(p.required()).isEqualTo(required);
    }

    @Test
    void methodsWithoutWeightsDeclareNone() {
        for (String m : new String[] {"karcher", "model_stock", "nearswap", "arcee_fusion", "sce", "ram", "ramplus_tl",
                "slerp", "passthrough"}) {
            assertThat(MergeMethods.byName(m).parameter("weight")).as(m).isNull();
        }
        assertThat(MergeMethods.byName("arcee_fusion").parameters()).isEmpty();
    }

    @Test
    void everyGtaVariantIsRegisteredUnderItsMergekitName() {
        for (GtaVariant v : GtaVariant.ALL) {
            assertThat(MergeMethods.byName(v.methodName())).isInstanceOf(GtaMethod.class);
        }
        assertThat(GtaVariant.ALL.stream().map(GtaVariant::methodName)).containsExactly("task_arithmetic", "ties",
                "dare_ties", "dare_linear", "breadcrumbs", "breadcrumbs_ties", "della", "della_linear");
        assertThat(GtaVariant.ALL.stream().filter(GtaVariant::signConsensus).map(GtaVariant::methodName))
                .containsExactlyInAnyOrder("ties", "dare_ties", "breadcrumbs_ties", "della");
    }
}
