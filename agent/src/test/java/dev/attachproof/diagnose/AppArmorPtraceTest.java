package dev.attachproof.diagnose;

import dev.attachproof.diagnose.AppArmorPtrace.Label;
import dev.attachproof.diagnose.AppArmorPtrace.Outcome;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AppArmor's two-sided ptrace rule on labels as /proc/PID/attr/apparmor/current prints them. */
class AppArmorPtraceTest {

    @Test
    void labelsParseAsTheKernelPrintsThem() {
        assertEquals(new Label("docker-default", "enforce"), Label.parse("docker-default (enforce)\n"));
        assertEquals(new Label("unconfined", null), Label.parse("unconfined"));
        assertEquals(new Label("a//&b", "mixed"), Label.parse("a//&b (mixed)"));
        assertTrue(Label.parse("myapp (unconfined)").unconfined(), "a profile with flags=(unconfined) mediates nothing");
        assertTrue(Label.parse("myapp (complain)").complaining());
        assertFalse(Label.parse("myapp (kill)").complaining());
    }

    @Test
    void selinuxContextsAreNotAppArmorLabels() {
        assertFalse(AppArmorPtrace.isAppArmorLabel("system_u:system_r:container_t:s0:c1,c2"));
        assertFalse(AppArmorPtrace.isAppArmorLabel("unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023"));
        assertTrue(AppArmorPtrace.isAppArmorLabel("unconfined"));
        assertTrue(AppArmorPtrace.isAppArmorLabel(":ns:profile (enforce)"));
    }

    /** profile_tracee_perm lets an unconfined tracer in whatever the target's profile says. */
    @Test
    void anUnconfinedTracerIsNotMediated() {
        assertEquals(Outcome.ALLOWED, AppArmorPtrace.decide(Label.parse("unconfined"), Label.parse("docker-default (enforce)")).outcome());
        assertEquals(Outcome.ALLOWED, AppArmorPtrace.decide(Label.parse("x (unconfined)"), Label.parse("y (enforce)")).outcome());
    }

    /** Both sides are asked; a side refused for certain is named alone, a side only predicted to refuse is not. */
    @Test
    void aKnownSideThatRefusesIsTheCause() {
        AppArmorPtrace.Decision d = AppArmorPtrace.decide(Label.parse("debugger (enforce)"), Label.parse("docker-default (enforce)"));
        assertEquals(Outcome.DENIED, d.outcome());
        assertEquals(List.of(new AppArmorPtrace.Denial("target", "docker-default", "ptrace (tracedby) peer=debugger")), d.denials());
    }

    @Test
    void unknownProfilesArePredictedOnBothSides() {
        AppArmorPtrace.Decision d = AppArmorPtrace.decide(Label.parse("a (enforce)"), Label.parse("b (enforce)"));
        assertEquals(Outcome.LIKELY_DENIED, d.outcome());
        assertEquals(List.of("tracer", "target"), d.denials().stream().map(AppArmorPtrace.Denial::side).toList());
        assertEquals(Outcome.LIKELY_ALLOWED, AppArmorPtrace.decide(Label.parse("a (enforce)"), Label.parse("a (enforce)")).outcome());
    }

    @Test
    void complainModeOnTheTargetsSideAllowsThatSide() {
        AppArmorPtrace.Decision d = AppArmorPtrace.decide(Label.parse("docker-default (enforce)"), Label.parse("cri-containerd.apparmor.d (complain)"));
        assertEquals(Outcome.DENIED, d.outcome(), "docker-default still refuses on its own side");
        assertEquals(List.of("tracer"), d.denials().stream().map(AppArmorPtrace.Denial::side).toList());
    }
}
