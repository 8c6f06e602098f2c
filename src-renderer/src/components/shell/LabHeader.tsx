import type { ReactNode } from 'react';
import type { ResolvedLab } from '../../../../src-main/shared/blueprint/model';
import { useT } from '../../i18n/useT';
import { labTitle } from '../../lib/lab-title';

/** The title row of the lab screens (Provision, Dashboard, Drills): the lab's title and name, then the screen's own items. */
export function LabHeader({ lab, children }: { lab: ResolvedLab; children?: ReactNode }) {
  const t = useT();
  return (
    <header className="lab-head">
      <div>
        <h2>{lab.lab.metadata.title ? labTitle(t, lab.lab.metadata.title) : lab.name}</h2>
        <div className="muted mono">{lab.name}</div>
      </div>
      {children}
    </header>
  );
}
