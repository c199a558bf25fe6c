// The page's timeline markup: well-formed SVG, one bar per packet in each direction's
// colour, both cumulative lines, the setup marker, one shared scale, escaped names.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { runWebDemo, type WebDemoReport, type WebDemoStep } from '../../src/web/scenario.js';
import { COLOR_TO_CENTRAL, COLOR_TO_PERIPHERAL, TIMELINE_HEIGHT, TIMELINE_WIDTH, renderTimelineSvg, timelineScale } from '../../src/web/timeline-svg.js';
import { assertWellFormedXml } from '../cli/helpers.js';

function count(text: string, re: RegExp): number {
  return [...text.matchAll(re)].length;
}

describe('renderTimelineSvg', () => {
  let report: WebDemoReport;
  before(async () => {
    report = await runWebDemo();
  });

  it('draws every packet of a step, in its direction and colour, with both lines and the setup marker', () => {
    const scale = timelineScale(report.steps);
    for (const step of report.steps) {
      const svg = renderTimelineSvg(step, scale);
      assertWellFormedXml(svg, 'svg');
      assert.match(svg, new RegExp(`^<svg [^>]*width="${TIMELINE_WIDTH}" height="${TIMELINE_HEIGHT}"`));
      const toSensor = step.packets.filter((p) => p.from === 'central').length;
      assert.equal(count(svg, /<rect class="packet to-sensor"[^>]*fill="#1f6feb"/g), toSensor);
      assert.equal(count(svg, /<rect class="packet to-hub"[^>]*fill="#e8590c"/g), step.packets.length - toSensor);
      assert.equal(count(svg, new RegExp(`<path class="bytes-to-sensor"[^>]*stroke="${COLOR_TO_PERIPHERAL}"`, 'g')), 1);
      assert.equal(count(svg, new RegExp(`<path class="bytes-to-hub"[^>]*stroke="${COLOR_TO_CENTRAL}"`, 'g')), 1);
      assert.match(svg, /setup done/);
      assert.ok(svg.includes(`${step.totalBytesOnAirToPeripheral.toLocaleString('en-US')} B`));
    }
  });

  it('shares one scale: the longest step, the most bytes in one direction, rounded up to 1, 2 or 5 x 10^n', () => {
    const scale = timelineScale(report.steps);
    const first = report.steps[0];
    assert.ok(scale.maxTimeMs >= first.durationMs && scale.maxTimeMs < first.durationMs * 2.5);
    assert.ok(scale.maxBytes >= first.totalBytesOnAirToPeripheral && scale.maxBytes >= first.totalBytesOnAirToCentral);
    assert.match(String(scale.maxBytes), /^[125]0*$/);
    assert.match(String(scale.maxTimeMs), /^[125]0*$/);
    assert.equal(scale.maxPacketBytes, Math.max(...report.steps.flatMap((s) => s.packets.map((p) => p.attBytes))));
    // The reconnect drawn on the first connect's scale ends well left of it (both steps include
    // the link establishment before their first packet, which a resumption does not shorten).
    const lastX = (svg: string): number => Math.max(...[...svg.matchAll(/<rect class="packet[^>]* x="([\d.]+)"/g)].map((m) => Number(m[1])));
    assert.ok(lastX(renderTimelineSvg(report.steps[1], scale)) < lastX(renderTimelineSvg(first, scale)) / 2);
  });

  it('escapes the step name and stays inside the plot for out-of-scale values', () => {
    const step = { ...report.steps[1], step: '<b>&"' } as unknown as WebDemoStep;
    const svg = renderTimelineSvg(step, { maxTimeMs: 10, maxBytes: 10, maxPacketBytes: 1 });
    assertWellFormedXml(svg, 'svg');
    assert.ok(!svg.includes('<b>'));
    for (const m of svg.matchAll(/ x="(-?[\d.]+)"/g)) assert.ok(Number(m[1]) >= 0 && Number(m[1]) <= TIMELINE_WIDTH, m[0]);
    for (const m of svg.matchAll(/ y="(-?[\d.]+)"/g)) assert.ok(Number(m[1]) >= 0 && Number(m[1]) <= TIMELINE_HEIGHT, m[0]);
  });
});
