package io.jdax.it;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real kernel DAX: {@code qemu/real-dax.sh} boots the QEMU guest with an emulated NVDIMM and runs
 * the checks of {@code io.jdax.it.realdax} in it, on fsdax (ext4 {@code -o dax}, MAP_SYNC) and on
 * device DAX, and madvise(MADV_HWPOISON) ({@code hwpoison.*}), then boots it again with eADR for
 * {@link io.jdax.it.realdax.PlatformChecks} ({@code platform.*}); this turns the guests' results into
 * one JUnit test per check, so failsafe's report names them. Only with {@code -Preal-dax} (or
 * {@code -Djdax.qemu=true}): the guest takes two or three minutes of emulated CPU, and needs root
 * for QEMU's packages.
 */
@EnabledIfSystemProperty(named = "jdax.realdax", matches = "true",
        disabledReason = "the QEMU guest run: ./mvnw25 verify -Preal-dax (or integration-tests/qemu/real-dax.sh)")
class RealDaxIT {
    private static final Pattern CHECK = Pattern.compile(
            "^(fsdax|devdax|hwpoison\\.(?:tmpfs|fsdax|devdax)|platform\\.(?:fsdax|devdax))\\.check\\.([a-z0-9_]+)=(pass|fail)(.*)$");
    private static final Pattern SELFTEST = Pattern.compile("^(fsdax|devdax)\\.selftest\\.exit=(\\d+)$");
    private static final Pattern CONFORMANCE =
            Pattern.compile("^(fsdax|devdax)\\.conformance\\.([a-z0-9_.]+)=(pass|fail|skipped|n/a)(.*)$");

    @TestFactory
    List<DynamicNode> realDaxChecksInTheQemuGuest() throws Exception {
        Path script = JdaxProcess.dir("jdax.it.qemu").resolve("real-dax.sh");
        Path results = JdaxProcess.dir("jdax.it.realdax.results");
        Process p = new ProcessBuilder("bash", script.toString(), "--no-build", results.toString())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        StringBuilder output = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                System.out.println(line); // the summary and, on failure, the guest log, as they come
                output.append(line).append('\n');
            }
        }
        if (!p.waitFor(5, TimeUnit.MINUTES)) { // the script's own guest timeout has passed by now
            p.destroyForcibly();
        }
        int rc = p.exitValue();
        Path file = results.resolve("results.txt");
        List<String> lines = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();

        Map<String, List<DynamicNode>> byMode = new LinkedHashMap<>();
        for (String line : lines) {
            Matcher m = CHECK.matcher(line);
            if (m.matches()) {
                byMode.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(test(m.group(1) + ": " + m.group(2), m.group(3), m.group(4)));
                continue;
            }
            m = CONFORMANCE.matcher(line);
            if (m.matches()) {
                byMode.computeIfAbsent(m.group(1), k -> new ArrayList<>())
                        .add(test(m.group(1) + ": conformance " + m.group(2), m.group(3), m.group(4)));
                continue;
            }
            m = SELFTEST.matcher(line);
            if (m.matches()) {
                String mode = m.group(1);
                String detail = ": exit " + m.group(2) + ", " + lines.stream()
                        .filter(l -> l.startsWith(mode + ".selftest.summary=") || l.startsWith(mode + ".selftest.failed="))
                        .map(l -> l.substring(l.indexOf('=') + 1)).toList();
                byMode.computeIfAbsent(mode, k -> new ArrayList<>())
                        .add(test(mode + ": jdax selftest", m.group(2).equals("0") ? "pass" : "fail", detail));
            }
        }
        List<DynamicNode> nodes = new ArrayList<>();
        byMode.forEach((mode, tests) -> nodes.add(DynamicContainer.dynamicContainer(mode, tests)));
        String summary = Files.exists(results.resolve("summary.txt"))
                ? Files.readString(results.resolve("summary.txt")) : "(no summary)";
        nodes.add(DynamicTest.dynamicTest("the guest run passed as a whole", () -> {
            if (rc != 0) {
                fail("real-dax.sh exited with status " + rc + " (1 a check failed, 3 boot failure, 124 timeout):\n"
                        + output);
            }
            assertEquals(new TreeSet<>(List.of("fsdax", "devdax", "hwpoison.tmpfs", "hwpoison.fsdax", "hwpoison.devdax",
                    "platform.fsdax", "platform.devdax")), new TreeSet<>(byMode.keySet()),
                    "checks of fsdax, devdax, hwpoison and the eADR boot's platform in the results:\n" + summary);
        }));
        return nodes;
    }

    private static DynamicTest test(String name, String outcome, String detail) {
        return DynamicTest.dynamicTest(name, () -> {
            switch (outcome) {
                case "pass" -> {
                }
                case "skipped", "n/a" -> Assumptions.abort(outcome + detail);
                default -> fail(name + detail);
            }
        });
    }
}
