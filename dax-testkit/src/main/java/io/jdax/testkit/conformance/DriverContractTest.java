package io.jdax.testkit.conformance;

import io.jdax.arch.Arch;
import io.jdax.testkit.sim.SimulatedArch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The driver conformance suite for JUnit 5: subclass it in your driver's tests, say how to name
 * a fresh device, and every contract of {@link DriverConformance} runs against your driver
 * through the {@link java.util.ServiceLoader}, one dynamic test per check, grouped by contract.
 * <pre>{@code
 * class HelloContractTest extends DriverContractTest {
 *     protected String scheme() { return "hello"; }
 *     protected String newDeviceSpec(Path scratch, long size) { return "hello:suite?size=" + size; }
 * }
 * }</pre>
 * A contract the device does not claim (durability for a volatile device, bad blocks for one
 * without a list) is one test named "not applicable", reported as skipped with the reason, never
 * as a passed test. When the class is done, a summary with every check's name and outcome goes
 * to standard output (Maven's console shows it; its own report names dynamic tests by index).
 * <p>
 * Devices are opened with a fresh power-fail simulator ({@link SimulatedArch}) by default: it can
 * write cache lines back, so a driver that needs write-back opens on any machine, and its plain
 * copies run in Java. Override {@link #arch()} to run on the JVM's Arch instead.
 * <p>
 * A driver with options that change how it works (stripe units, file counts, modes) lists them
 * in {@link #configurations()}: every contract runs for each.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class DriverContractTest {

    /**
     * One way of making the driver's devices, run through every contract.
     *
     * @param name  a short name for reports, e.g. {@code files=4 unit=4K}
     * @param specs how to name a fresh device of that configuration
     */
    public record Configuration(String name, DriverUnderTest.DeviceSpecs specs) {
        /** Checks the values. */
        public Configuration {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(specs, "specs");
        }
    }

    private record Outcome(String configuration, String contract, String check, DriverConformance.Status status,
                           String message) {
    }

    private final List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());

    /** For subclasses. */
    protected DriverContractTest() {
    }

    /** The driver's scheme. */
    protected abstract String scheme();

    /**
     * The spec of a fresh device of {@code size} bytes; files go in {@code scratch} (private,
     * deleted after each check). The first (or only) configuration.
     */
    protected abstract String newDeviceSpec(Path scratch, long size);

    /**
     * The configurations the suite runs over, each through every contract: by default one,
     * {@link #newDeviceSpec}. Override to cover the driver's options, e.g.
     * <pre>{@code
     * protected List<Configuration> configurations() {
     *     return List.of(new Configuration("unit=4K", this::newDeviceSpec),
     *             new Configuration("unit=64K", (dir, size) -> "stripe:" + dir + "?size=" + size + "&unit=64K"));
     * }
     * }</pre>
     */
    protected List<Configuration> configurations() {
        return List.of(new Configuration("default", this::newDeviceSpec));
    }

    /** Specs of the driver's own that must fail to open; none by default (the suite adds generic ones). */
    protected List<String> badSpecs() {
        return List.of();
    }

    /**
     * The Arch of the ordinary checks, asked for each device: a new {@link SimulatedArch} by
     * default (durability checks use one anyway). Return {@code Archs.current()} to run on the
     * JVM's own (native-x86 when it is on the test path and loads, else the portable one, which
     * cannot write cache lines back).
     */
    protected Arch arch() {
        return new SimulatedArch();
    }

    /** The device size asked for: 1 MiB by default, at least {@link DriverUnderTest#MIN_SIZE}. */
    protected long deviceSize() {
        return 1 << 20;
    }

    /** The driver as the suite sees it, in one configuration. */
    protected DriverUnderTest driverUnderTest(Configuration configuration) {
        return new DriverUnderTest(scheme(), configuration.specs(), badSpecs(), this::arch, deviceSize());
    }

    /** Every contract, one container each (inside one container per configuration when there are several). */
    @TestFactory
    Stream<DynamicNode> driverContract() {
        List<Configuration> all = configurations();
        if (all.isEmpty()) {
            throw new IllegalStateException(getClass().getName() + ".configurations() is empty: nothing to check");
        }
        if (all.size() == 1) {
            return contracts(all.getFirst());
        }
        return all.stream().map(c -> DynamicContainer.dynamicContainer(c.name(), contracts(c)));
    }

    private Stream<DynamicNode> contracts(Configuration c) {
        return DriverConformance.groups(driverUnderTest(c)).stream().map(g -> g.notApplicable() != null
                ? DynamicContainer.dynamicContainer(g.contract(), Stream.of(DynamicTest.dynamicTest("not applicable",
                        () -> notApplicable(c, g))))
                : DynamicContainer.dynamicContainer(g.contract(), g.checks().stream()
                        .map(k -> DynamicTest.dynamicTest(k.name(), () -> execute(c, k)))));
    }

    private void notApplicable(Configuration c, DriverConformance.Group g) {
        outcomes.add(new Outcome(c.name(), g.contract(), "", DriverConformance.Status.NOT_APPLICABLE, g.notApplicable()));
        Assumptions.abort(g.contract() + ": not applicable, " + g.notApplicable());
    }

    /** Runs a check; a failure names the check, as reports may show only the test's index. */
    private void execute(Configuration c, ConformanceCheck k) throws Exception {
        try {
            DriverConformance.execute(k);
            outcomes.add(new Outcome(c.name(), k.contract(), k.name(), DriverConformance.Status.PASSED, ""));
        } catch (AssertionError | RuntimeException e) {
            String msg = e instanceof AssertionError ? e.getMessage() : e.toString();
            outcomes.add(new Outcome(c.name(), k.contract(), k.name(), DriverConformance.Status.FAILED, msg));
            throw new AssertionError((configurations().size() > 1 ? "[" + c.name() + "] " : "") + k.contract() + " / "
                    + k.name() + ": " + msg, e);
        }
    }

    /** The summary on standard output: every check by name, as Maven's console cannot show them. */
    @AfterAll
    void summary() {
        List<Outcome> all;
        synchronized (outcomes) {
            all = List.copyOf(outcomes);
        }
        if (all.isEmpty()) {
            return;
        }
        StringBuilder b = new StringBuilder();
        b.append("jdax driver conformance, scheme '").append(scheme()).append("' (").append(getClass().getSimpleName())
                .append("): ").append(count(all, DriverConformance.Status.PASSED)).append(" passed, ")
                .append(count(all, DriverConformance.Status.FAILED)).append(" failed, ")
                .append(count(all, DriverConformance.Status.NOT_APPLICABLE)).append(" not applicable (skipped)\n");
        String where = null;
        String contract = null;
        for (Outcome o : all) {
            if (!o.configuration().equals(where)) {
                where = o.configuration();
                contract = null;
                if (configurations().size() > 1) {
                    b.append("configuration ").append(where).append('\n');
                }
            }
            if (!o.contract().equals(contract)) {
                contract = o.contract();
                b.append("  ").append(contract).append('\n');
            }
            b.append(switch (o.status()) {
                case PASSED -> "    PASS  " + o.check();
                case FAILED -> "    FAIL  " + o.check() + ": " + o.message();
                case NOT_APPLICABLE -> "    N/A   " + o.message();
            }).append('\n');
        }
        System.out.print(b);
        System.out.flush();
    }

    private static long count(List<Outcome> all, DriverConformance.Status s) {
        return all.stream().filter(o -> o.status() == s).count();
    }
}
