package io.jdax.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LibPmemInstallTest {

    @Test
    void installedAlreadyMeansNothingRunsAndNothingIsSaid() {
        List<String> said = new ArrayList<>();
        var o = LibPmemInstall.ensure(() -> true, true, true, false, (c, l) -> {
            throw new AssertionError("ran " + c);
        }, said::add);
        assertTrue(o.available());
        assertNull(o.note());
        assertEquals(List.of(), said);
    }

    @Test
    void asRootWithAptItInstallsTheWayTheQemuSetupDoesSayingSoOnOneLine() {
        List<String> said = new ArrayList<>();
        List<List<String>> ran = new ArrayList<>();
        boolean[] installed = {false};
        var o = LibPmemInstall.ensure(() -> installed[0], true, true, false, (c, log) -> {
            ran.add(c);
            installed[0] = true;
            return 0;
        }, said::add);
        assertTrue(o.available());
        assertEquals(List.of(List.of("sh", "-c", "apt-get update -qq && apt-get install -y -qq --no-install-recommends "
                + "libpmem1")), ran);
        assertEquals(1, said.size(), said.toString());
        assertTrue(said.getFirst().startsWith("jdax bench: installing libpmem1"), said.toString());
        assertTrue(o.note().contains("installed libpmem1 with apt-get"), o.note());
    }

    @Test
    void aFailedInstallShowsTheLogsTailAndTheRunGoesOnWithoutIt() {
        List<String> said = new ArrayList<>();
        var o = LibPmemInstall.ensure(() -> false, true, true, false, (c, log) -> {
            Files.writeString(log, "E: Unable to locate package libpmem1\n");
            return 100;
        }, said::add);
        assertFalse(o.available());
        assertTrue(said.contains("  E: Unable to locate package libpmem1"), said.toString());
        assertTrue(o.note().contains("failed (exit 100") && o.note().contains("its rows are skipped"), o.note());
    }

    @Test
    void withoutRootOrAptOrWhenForbiddenItOnlySaysHow() {
        for (boolean[] c : new boolean[][] {{false, true, false}, {true, false, false}, {true, true, true}}) {
            var o = LibPmemInstall.ensure(() -> false, c[0], c[1], c[2], (cmd, l) -> {
                throw new AssertionError("ran " + cmd);
            }, s -> {
                throw new AssertionError("said " + s);
            });
            assertFalse(o.available());
            assertTrue(o.note().contains("apt-get install libpmem1") && o.note().contains("its rows are skipped"), o.note());
        }
    }
}
