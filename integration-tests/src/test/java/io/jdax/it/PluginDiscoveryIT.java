package io.jdax.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * C1 end to end: the example plugin, a plain jar built against dax-api only, is found by
 * {@code DaxDevices} on the class path and on the module path, with no code change and no
 * registration call, and passes {@code jdax selftest} through the launcher both ways; and broken
 * plugins are reported without taking the others down.
 */
class PluginDiscoveryIT {
    private static final String MAIN = "io.jdax.cli.Jdax";
    private static final String HELLO = "hello:greeting?size=1M";

    private final Path jdaxJars = JdaxProcess.dir("jdax.it.jars");
    private final Path pluginJars = JdaxProcess.dir("jdax.it.plugins");

    @Test
    void pluginJarOnTheClassPathIsFoundAndOpens() throws Exception {
        String cp = JdaxProcess.path(JdaxProcess.jars(jdaxJars, pluginJars));
        var r = JdaxProcess.run(List.of("--enable-native-access=ALL-UNNAMED", "-cp", cp), MAIN, "info", "--device", HELLO);
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("hello    example plugin"), r.toString());
        assertTrue(r.out().matches("(?s).*from class path \\S*hello-driver-[^ ]*\\.jar.*"), r.toString());
        assertTrue(r.out().contains("brd      sparse RAM device"), r.toString());
        assertTrue(r.out().contains("persistence  VOLATILE: example driver"), "the device opened: " + r);
    }

    @Test
    void pluginJarOnTheModulePathIsFoundAndOpens() throws Exception {
        String mp = JdaxProcess.path(JdaxProcess.jars(jdaxJars, pluginJars));
        var r = JdaxProcess.run(List.of("--enable-native-access=" + JdaxProcess.NATIVE_MODULES, "-p", mp,
                        "-m", "io.jdax.cli/" + MAIN),
                "info", "--device", HELLO);
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("from module com.example.hello, version 0.1.0-SNAPSHOT"), r.toString());
        assertTrue(r.out().contains("from module io.jdax.brd"), r.toString());
        assertTrue(r.out().contains("persistence  VOLATILE: example driver"), r.toString());
    }

    @Test
    void thePluginPassesJdaxSelftestOnTheClassPathAndOnTheModulePath() throws Exception {
        String jar = JdaxProcess.path(JdaxProcess.jars(pluginJars));
        for (String way : List.of("JDAX_PLUGIN_PATH", "JDAX_PLUGIN_MODULE_PATH")) {
            var r = Command.jdax(Map.of(way, jar), "selftest", "--device", "hello:selftest?size=1M");
            assertEquals(0, r.exitCode(), way + ": " + r);
            assertTrue(r.output().contains("jdax selftest hello:selftest?size=1M: 27 passed, 0 failed, 0 skipped,"
                    + " 3 not applicable"), way + ": " + r);
            assertTrue(r.output().contains("PASS    hasAUsableSchemeDescriptionAndConstructor"), way + ": " + r);
        }
        var info = Command.jdax(Map.of("JDAX_PLUGIN_MODULE_PATH", jar), "info");
        assertTrue(info.output().contains("from module com.example.hello, version 0.1.0-SNAPSHOT"), info.toString());
    }

    @Test
    void withoutThePluginJarTheSchemeIsUnknownAndTheErrorListsWhatIsInstalled() throws Exception {
        String cp = JdaxProcess.path(JdaxProcess.jars(jdaxJars));
        var r = JdaxProcess.run(List.of("--enable-native-access=ALL-UNNAMED", "-cp", cp), MAIN, "info", "--device", HELLO);
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("ENODEV: no driver for scheme 'hello'; installed: "), r.toString());
        assertTrue(r.err().contains("brd (io.jdax.brd.BrdDriver)"), r.toString());
        assertTrue(r.err().lines().count() == 1, "one clear line, no stack trace: " + r);
    }

    @Test
    void brokenPluginsAreReportedAndTheOthersStillWork() throws Exception {
        List<Path> jars = new ArrayList<>(JdaxProcess.jars(jdaxJars, pluginJars));
        jars.addAll(JdaxProcess.jars(JdaxProcess.dir("jdax.it.broken")));
        var r = JdaxProcess.run(List.of("--enable-native-access=ALL-UNNAMED", "-cp", JdaxProcess.path(jars)), MAIN,
                "info", "--device", HELLO);
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("FAILED   io.jdax.dax.testdrivers.TestDrivers$Throwing"), r.toString());
        assertTrue(r.out().contains("constructor failed on purpose"), r.toString());
        assertTrue(r.out().contains("FAILED   io.jdax.dax.testdrivers.NoSuchDriverClass"), r.toString());
        assertTrue(r.out().contains("CONFLICT scheme twin served by 2 drivers"), r.toString());
        assertTrue(r.out().contains("persistence  VOLATILE: example driver"), r.toString());
    }

    @Test
    void withoutNativeAccessTheNativeArchStepsAsideAndSaysWhy() throws Exception {
        String mp = JdaxProcess.path(JdaxProcess.jars(jdaxJars));
        var r = JdaxProcess.run(List.of("--enable-native-access=io.jdax.pmem,io.jdax.bench", "-p", mp,
                "-m", "io.jdax.cli/" + MAIN), "info");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("arch: portable (native-x86 unavailable: cannot load"), r.toString());
        assertTrue(r.out().contains("Illegal native access from module io.jdax.x86"), r.toString());
    }
}
