package io.jdax.arch;

import java.util.List;

/**
 * Which {@link Arch} was chosen, why, and what became of every other candidate: the answer
 * {@code jdax info} prints.
 *
 * @param arch       the chosen implementation
 * @param reason     why it was chosen, e.g. "highest priority that loaded" or "forced by -Djdax.arch=portable"
 * @param candidates every provider found, in priority order, with its outcome
 */
public record ArchSelection(Arch arch, String reason, List<Candidate> candidates) {

    /** Copies the candidates into an unmodifiable list. */
    public ArchSelection {
        candidates = List.copyOf(candidates);
    }

    /**
     * One provider found by the ServiceLoader.
     *
     * @param name     the provider's name
     * @param priority its priority
     * @param outcome  "chosen", "loaded, lower priority", "not tried", or why it failed to load
     */
    public record Candidate(String name, int priority, String outcome) {
    }
}
