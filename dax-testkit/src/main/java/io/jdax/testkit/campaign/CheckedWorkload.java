package io.jdax.testkit.campaign;

import io.jdax.dax.DaxDevice;

import java.util.List;

/**
 * A workload whose promises are not device bytes but something built on them, e.g. a
 * filesystem's files: it judges each rebooted crash image itself, in place of the
 * {@link Ledger}'s byte check. Its ledger still marks the durability points
 * ({@link Ledger#acknowledge()}) that a campaign crashes at; it need declare no writes.
 * <p>
 * An image the check rejects counts as a reboot failure in the {@link CampaignReport}, with the
 * check's words as the loss.
 */
public interface CheckedWorkload extends Workload {

    /**
     * Judges the device rebooted over one crash image. Called at the crash point while the
     * workload is paused there, so it can compare with what it had been promised by then.
     * The device is closed afterwards by the campaign.
     *
     * @return what is wrong with the image, in words; empty when it is good
     */
    List<String> check(DaxDevice rebooted);
}
