package io.jdax.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * docs/WRITING-A-DRIVER.md as a new author uses it: every file of part 1 taken from the Markdown
 * exactly as printed (a block under a line holding only its path), built with the checkout's
 * {@code mvnw25} against jdax's artifacts installed the way the guide says (in a local repository
 * of this test's own, which holds only them; everything else comes read-only from this build's),
 * then run through {@code jdax selftest} on the class path and on the module path. What the
 * guide says the build prints is compared with what it printed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GuideIT {
    private static final String VERSION = "0.1.0-SNAPSHOT";
    /** What a driver's build resolves of jdax: the BOM, the parent of the modules, and three jars. */
    private static final List<String> INSTALLED = List.of("dax-api", "fs-dax", "dax-testkit");
    private static final Pattern FILE_BLOCK = Pattern.compile("(?m)^`([\\w./-]+)`\\n```\\w*\\n(.*?)^```$",
            Pattern.DOTALL);

    private final Path root = Command.root();
    private final Path work = JdaxProcess.dir("jdax.it.guide");
    private final Path project = work.resolve("ramdax-driver");
    private String guide;
    private Map<String, String> files;
    private Command.Result build;

    @BeforeAll
    void buildTheGuidesDriver() throws Exception {
        guide = Files.readString(root.resolve("docs/WRITING-A-DRIVER.md"), StandardCharsets.UTF_8);
        files = new LinkedHashMap<>();
        Matcher m = FILE_BLOCK.matcher(guide);
        while (m.find()) {
            files.put(m.group(1), m.group(2));
        }
        deleteTree(work);
        for (var f : files.entrySet()) {
            Path p = project.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, f.getValue(), StandardCharsets.UTF_8);
        }
        Path repo = installJdax(work.resolve("repo"));
        build = Command.run(List.of(root.resolve("mvnw25").toString(), "-o", "-B", "verify",
                "-Dmaven.repo.local=" + repo, "-Dmaven.repo.local.tail=" + JdaxProcess.dir("jdax.it.localRepository")),
                project, Map.of(), Duration.ofMinutes(10));
    }

    /**
     * A local repository holding what {@code ./mvnw25 install} puts there of jdax that a driver
     * resolves: the poms as they are in the checkout (install copies them unchanged) and the jars
     * this build made.
     */
    private Path installJdax(Path repo) throws IOException {
        Map<String, Path> poms = new LinkedHashMap<>();
        poms.put("jdax-parent", root.resolve("pom.xml"));
        poms.put("jdax-bom", root.resolve("jdax-bom/pom.xml"));
        for (String a : INSTALLED) {
            poms.put(a, root.resolve(a).resolve("pom.xml"));
        }
        for (var e : poms.entrySet()) {
            Path dir = repo.resolve("io/jdax").resolve(e.getKey()).resolve(VERSION);
            Files.createDirectories(dir);
            Files.copy(e.getValue(), dir.resolve(e.getKey() + "-" + VERSION + ".pom"));
            if (INSTALLED.contains(e.getKey())) {
                Files.copy(JdaxProcess.dir("jdax.it.jars").resolve(e.getKey() + "-" + VERSION + ".jar"),
                        dir.resolve(e.getKey() + "-" + VERSION + ".jar"));
            }
        }
        return repo;
    }

    @Test
    void theGuidePrintsEveryFileItListsWhole() {
        String listing = guide.substring(guide.indexOf("### The files"));
        listing = listing.substring(listing.indexOf("```\n") + 4);
        listing = listing.substring(0, listing.indexOf("```"));
        assertEquals(listing.strip().lines().sorted().toList(), files.keySet().stream().sorted().toList(),
                "the files the guide lists and the files it prints");
    }

    /** The plugins of a jar project's build, every one of which the guide's pom and the examples' pin. */
    private static final List<String> LIFECYCLE = List.of("maven-clean-plugin", "maven-resources-plugin",
            "maven-compiler-plugin", "maven-surefire-plugin", "maven-jar-plugin", "maven-install-plugin",
            "maven-deploy-plugin", "maven-site-plugin");

    @Test
    void theGuidesPomAndTheExamplesPinEveryPluginOfTheBuild() throws IOException {
        Map<String, String> poms = new LinkedHashMap<>();
        poms.put("the guide's pom.xml", files.get("pom.xml"));
        for (String ex : List.of("hello-driver", "stripe-driver")) {
            poms.put("examples/" + ex, Files.readString(root.resolve("examples").resolve(ex).resolve("pom.xml")));
        }
        for (var pom : poms.entrySet()) {
            for (String plugin : LIFECYCLE) {
                assertTrue(Pattern.compile("<artifactId>" + plugin + "</artifactId>\\s*<version>[\\d.]+</version>")
                        .matcher(pom.getValue()).find(), pom.getKey() + " does not pin " + plugin);
            }
            assertTrue(pom.getValue().contains("<artifactId>jdax-bom</artifactId>"), pom.getKey() + " imports the BOM");
        }
    }

    @Test
    void theGuidesDriverBuildsAsPrintedAndPassesTheSuite() throws Exception {
        assertEquals(0, build.exitCode(), build.toString());
        Path report = project.resolve("target/surefire-reports/TEST-com.example.ramdax.RamDaxContractTest.xml");
        String xml = Files.readString(report);
        // what the guide says the run prints
        Matcher counts = Pattern.compile("`(Tests run: \\d+, Failures: 0, Errors: 0, Skipped: \\d+)` for `ramdax`")
                .matcher(guide);
        assertTrue(counts.find(), "the guide quotes Maven's counts");
        assertTrue(build.output().contains(counts.group(1)), counts.group(1) + " in\n" + build);
        Matcher summary = Pattern.compile("(jdax driver conformance, scheme 'ramdax' \\(RamDaxContractTest\\): .*)")
                .matcher(guide);
        assertTrue(summary.find(), "the guide quotes the suite's summary");
        assertTrue(build.output().contains(summary.group(1)), summary.group(1) + " in\n" + build);
        assertTrue(build.output().contains("    N/A   the device has no zeroPageRange (the framework zeroes for it)"),
                build.toString());
        // checks by name in the XML report, not-applicable groups skipped with the reason
        assertTrue(xml.contains("<testcase name=\"C2 directAccess driverContract() everyPageKeepsItsOwnBytesFirstToLast\""),
                xml);
        assertTrue(xml.contains("C9 durability under the power-fail simulator: not applicable, the device is VOLATILE"),
                xml);
        try (JarFile jar = new JarFile(jar().toFile())) {
            assertEquals("1.0.0", jar.getManifest().getMainAttributes().getValue("Implementation-Version"));
        }
    }

    @Test
    void theGuidesDriverPassesJdaxSelftestOnTheClassPathAndOnTheModulePath() throws Exception {
        assertEquals(0, build.exitCode(), build.toString());
        for (String way : List.of("JDAX_PLUGIN_PATH", "JDAX_PLUGIN_MODULE_PATH")) {
            var r = Command.jdax(Map.of(way, jar().toString()), "selftest", "--device", "ramdax:t?size=1M");
            assertEquals(0, r.exitCode(), way + ": " + r);
            assertTrue(r.output().matches("(?s).*jdax selftest ramdax:t\\?size=1M: \\d+ passed, 0 failed.*"), way + ": " + r);
        }
        var info = Command.jdax(Map.of("JDAX_PLUGIN_PATH", jar().toString()), "info");
        assertEquals(0, info.exitCode(), info.toString());
        assertTrue(info.output().contains("ramdax   volatile native memory"), info.toString());
        assertTrue(info.output().matches("(?s).*from class path \\S*ramdax-driver-1\\.0\\.0\\.jar, version 1\\.0\\.0.*"),
                info.toString());
    }

    @Test
    void withAnOlderJdkTheBuildSaysToSetJavaHome() throws Exception {
        Optional<Path> jdk17 = olderJdk();
        assumeTrue(jdk17.isPresent(), "no JDK older than 25 under /usr/lib/jvm to try");
        // The Maven Wrapper itself (mvnw25 would pick a JDK 25), on the older JDK.
        var r = Command.run(List.of(root.resolve("mvnw").toString(), "-o", "-B", "validate",
                        "-Dmaven.repo.local=" + work.resolve("repo"),
                        "-Dmaven.repo.local.tail=" + JdaxProcess.dir("jdax.it.localRepository")),
                project, Map.of("JAVA_HOME", jdk17.get().toString()), Duration.ofMinutes(3));
        assertNotEquals(0, r.exitCode(), r.toString());
        assertTrue(r.output().contains("jdax drivers build with JDK 25: set JAVA_HOME to one"), r.toString());
    }

    /** Also examples/stripe-driver's campaign factory, which section 6 prints. */
    @Test
    void theGuidesStripeFactoryIsTheExamplesCode() throws IOException {
        String example = Files.readString(root.resolve(
                "examples/stripe-driver/src/test/java/com/example/stripe/StripeCampaignTest.java"));
        Matcher m = Pattern.compile("(?s)```java\\n(static DeviceFactory stripes\\(\\) \\{.*?)```").matcher(guide);
        assertTrue(m.find(), "section 6 prints the factory");
        assertTrue(squeeze(strip(example)).contains(squeeze(m.group(1))), "the guide's factory differs from the example's");
    }

    private static String strip(String java) {
        return java.replaceAll("(?m)//.*$", "");
    }

    private static String squeeze(String s) {
        return strip(s).replaceAll("\\s+", " ").strip();
    }

    private Path jar() {
        return project.resolve("target/ramdax-driver-1.0.0.jar");
    }

    private static Optional<Path> olderJdk() throws IOException {
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(jvms)) {
            return s.filter(p -> p.getFileName().toString().contains("17") && Files.isExecutable(p.resolve("bin/javac")))
                    .findFirst();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            List<Path> paths = new ArrayList<>(all.sorted(Comparator.reverseOrder()).toList());
            for (Path p : paths) {
                Files.delete(p);
            }
        }
    }
}
