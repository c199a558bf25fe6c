// The link compliance suite (test/link/compliance.ts) against the simulated radio, in three
// configurations: the defaults (LE Coded, 30 ms, MTU 247), a small-MTU 2M link without Data
// Length Extension, and a 1M link losing 20 % of its LL packets.
import { SimulatedRadio, type SimulatedRadioOptions, type FaultOptions } from '../../src/radio/index.js';
import { runLinkCompliance, type LinkHarness } from './compliance.js';

function harness(options: SimulatedRadioOptions, faults?: FaultOptions): () => Promise<LinkHarness> {
  return () => {
    const radio = new SimulatedRadio(options);
    if (faults !== undefined) radio.setFaults(faults);
    return Promise.resolve({
      central: radio.createDevice({ name: 'central' }),
      peripheral: radio.createDevice({ name: 'peripheral' }),
      cleanup: () => radio.close(),
      dropLink: (link) => {
        radio.dropLink(link, 'silence');
        return Promise.resolve();
      },
    });
  };
}

runLinkCompliance('simulated radio: defaults (coded, 30 ms, MTU 247)', harness({}), { unknownDevice: true });
runLinkCompliance('simulated radio: 2M, MTU 23, no DLE', harness({ phy: '2m', attMtu: 23, dataLengthExtension: false, seed: 7 }), { unknownDevice: true });
runLinkCompliance('simulated radio: 1M with 20 % packet loss', harness({ phy: '1m', seed: 3 }, { packetLossRate: 0.2 }), { unknownDevice: true });
