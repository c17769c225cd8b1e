package dev.attachproof.testing;

import dev.attachproof.ptrace.AttachResult;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.ptrace.Tracer;

import java.time.Duration;

/**
 * A child JVM that attaches to a pid and holds it stopped, printing "HELD", until it is killed:
 * how the tests show that an agent's death never leaves a target stopped.
 */
public final class HoldAttach {
    private HoldAttach() {}

    public static void main(String[] args) throws InterruptedException {
        AttachResult r = Tracer.shared().attach(Integer.parseInt(args[0]), StopMode.ALL_THREADS, Duration.ofSeconds(2));
        if (!(r instanceof AttachResult.Attached)) {
            System.out.println("FAILED " + r);
            System.exit(1);
        }
        System.out.println("HELD");
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(5));
    }
}
