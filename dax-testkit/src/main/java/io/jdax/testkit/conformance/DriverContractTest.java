package io.jdax.testkit.conformance;

import io.jdax.arch.Arch;
import io.jdax.arch.Archs;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.List;
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
 * without a list) shows as an empty group named "not applicable", never as a passed test.
 */
public abstract class DriverContractTest {

    /** For subclasses. */
    protected DriverContractTest() {
    }

    /** The driver's scheme. */
    protected abstract String scheme();

    /**
     * The spec of a fresh device of {@code size} bytes; files go in {@code scratch} (private,
     * deleted after each check).
     */
    protected abstract String newDeviceSpec(Path scratch, long size);

    /** Specs of the driver's own that must fail to open; none by default (the suite adds generic ones). */
    protected List<String> badSpecs() {
        return List.of();
    }

    /** The Arch of the ordinary checks: the JVM's by default. */
    protected Arch arch() {
        return Archs.current();
    }

    /** The device size asked for: 1 MiB by default, at least {@link DriverUnderTest#MIN_SIZE}. */
    protected long deviceSize() {
        return 1 << 20;
    }

    /** The driver as the suite sees it. */
    protected DriverUnderTest driverUnderTest() {
        return new DriverUnderTest(scheme(), this::newDeviceSpec, badSpecs(),
                this::arch, deviceSize());
    }

    /** Every contract, one container each. */
    @TestFactory
    Stream<DynamicNode> driverContract() {
        return DriverConformance.groups(driverUnderTest()).stream().map(g -> g.notApplicable() != null
                ? DynamicContainer.dynamicContainer(g.contract() + ": not applicable, " + g.notApplicable(), Stream.of())
                : DynamicContainer.dynamicContainer(g.contract(), g.checks().stream()
                        .map(c -> DynamicTest.dynamicTest(c.name(), () -> execute(c)))));
    }

    /** Runs a check; a failure names the check, as reports may show only the test's index. */
    private static void execute(ConformanceCheck c) throws Exception {
        try {
            DriverConformance.execute(c);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(c.contract() + " / " + c.name() + ": " + (e instanceof AssertionError
                    ? e.getMessage() : e), e);
        }
    }
}
