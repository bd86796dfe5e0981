package io.jdax.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JdaxTest {

    @Test
    void everyCommandHasHelpAndTheRootListsThemWithTheExitCodes() {
        Cli root = Cli.run("--help");
        assertEquals(0, root.code(), root.toString());
        for (String s : List.of("info", "bench", "crashtest", "selftest", "Exit codes", "4   refused")) {
            assertTrue(root.out().contains(s), s + " missing:\n" + root.out());
        }
        for (String cmd : List.of("info", "bench", "crashtest", "selftest")) {
            Cli r = Cli.run(cmd, "--help");
            assertEquals(0, r.code(), cmd + ": " + r);
            assertTrue(r.out().startsWith("Usage: jdax " + cmd), r.out());
            assertTrue(r.out().contains("Exit codes"), cmd + " documents its exit codes");
        }
    }

    @Test
    void theCommandListGivesEachCommandAWholeSentence() {
        String out = Cli.run("--help").out();
        String list = out.substring(out.indexOf("Commands:"), out.indexOf("Exit codes:")).strip();
        // one entry per command: its first line, then wrapped lines indented under the text
        List<String> entries = List.of(list.split("\\n(?=  \\S)"));
        assertEquals(6, entries.size(), list); // the heading, info, bench, crashtest, selftest, help
        for (String e : entries.subList(1, entries.size())) {
            String text = e.strip().replaceAll("\\s+", " ");
            assertTrue(text.endsWith("."), "cut off mid-sentence: " + text);
        }
        assertTrue(list.lines().allMatch(l -> l.length() <= 120), list);
        assertTrue(list.replaceAll("\\s+", " ").contains("close during I/O (C8) and bad input."), list);
    }

    @Test
    void aFailureIsOneLineAndItsStackTraceOnlyWithVerbose() {
        Cli plain = Cli.run("info", "--device", "nosuch:x");
        assertEquals(Jdax.EXIT_FAILURE, plain.code());
        assertEquals(List.of("jdax info: ENODEV: no driver for scheme 'nosuch'; installed: "
                + plain.errLines().getFirst().substring(plain.errLines().getFirst().indexOf("installed: ") + 11)),
                plain.errLines());
        assertFalse(plain.err().contains("\tat "), plain.err());
        for (String[] args : List.of(new String[] {"info", "--device", "nosuch:x", "--verbose"},
                new String[] {"--verbose", "info", "--device", "nosuch:x"})) {
            Cli verbose = Cli.run(args);
            assertEquals(Jdax.EXIT_FAILURE, verbose.code());
            assertTrue(verbose.err().contains("\tat io.jdax"), verbose.err());
            assertTrue(verbose.errLines().getLast().startsWith("jdax info: ENODEV"), verbose.err());
        }
    }

    @Test
    void anUnknownCommandIsAUsageError() {
        Cli r = Cli.run("frobnicate");
        assertEquals(Jdax.EXIT_USAGE, r.code());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.err().contains("frobnicate") && r.err().contains("jdax --help"), r.err());
    }
}
