/** @jsxRuntime automatic @jsxImportSource react */
/**
 * The zone firewall's allow-list as a grid (issue 14): rows are the zone a
 * connection starts in, columns the zone it goes to; each cell lists the
 * allowed ports (dimmed: no service of the lab uses it) or says denied.
 * The words come from the shared catalog, the same as `halab plan` prints.
 */
import type { ZoneMatrix } from '../../../../src-main/shared/blueprint/zones';
import { msg, render, type Lang } from '../../../../src-main/shared/i18n';

export function ZoneMatrixGrid({ matrix, lang }: { matrix: ZoneMatrix; lang: Lang }) {
  const cell = (from: string, to: string) => matrix.cells.find((c) => c.from === from && c.to === to);
  return (
    <div className="zone-matrix" data-testid="plan-zone-matrix">
      <h3>{render(lang, msg('z.plan.title', { router: matrix.router }))}</h3>
      <table>
        <thead>
          <tr>
            <th>{render(lang, msg('z.plan.from'))}</th>
            {matrix.zones.map((z) => (
              <th key={z.name} title={`${z.network} ${z.subnet}`}>
                {z.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.zones.map((a) => (
            <tr key={a.name}>
              <th title={`${a.network} ${a.subnet}`}>{a.name}</th>
              {matrix.zones.map((b) => {
                if (a.name === b.name) return <td key={b.name} className="zone-self">—</td>;
                const c = cell(a.name, b.name);
                if (!c || c.allowed.length === 0) return <td key={b.name} className="zone-denied" data-cell={`${a.name}>${b.name}`}>{render(lang, msg('z.plan.denied'))}</td>;
                return (
                  <td key={b.name} className="zone-allowed" data-cell={`${a.name}>${b.name}`} title={c.unused.length ? render(lang, msg('z.plan.unused', { ports: c.unused.join(' ') })) : undefined}>
                    {c.allowed.map((p) => (
                      <span key={p} className={`zone-port mono${c.unused.includes(p) ? ' unused' : ''}`}>
                        {p}
                      </span>
                    ))}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <ul className="plan-services">
        {matrix.zones.map((z) => (
          <li key={z.name}>{render(lang, msg('z.plan.zoneLine', { zone: z.name, network: z.network, subnet: z.subnet }))}</li>
        ))}
      </ul>
    </div>
  );
}
