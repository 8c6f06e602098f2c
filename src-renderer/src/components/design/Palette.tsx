/**
 * The palette: VM roles, network types and the VIP group, to drag onto the
 * canvas (or click to add at the centre of the view).
 */
import { useReactFlow } from '@xyflow/react';
import type { DragEvent } from 'react';
import { useT } from '../../i18n/useT';
import type { MessageKey } from '../../i18n';
import { PALETTE_MIME, PALETTE_NETWORKS, PALETTE_ROLES, type PaletteKind } from '../../lib/roles';
import { useEditor } from '../../stores/editor-store';
import { Icon } from './Icons';

interface Item {
  kind: PaletteKind;
  icon: Parameters<typeof Icon>[0]['name'];
  label: MessageKey;
}

const VMS: Item[] = PALETTE_ROLES.map((r) => ({ kind: `vm:${r}`, icon: r, label: `role.${r}` }));
const NETS: Item[] = PALETTE_NETWORKS.map((n) => ({ kind: `net:${n}`, icon: n, label: `net.${n}` }));
const SERVICES: Item[] = [{ kind: 'vip', icon: 'vip', label: 'palette.vip' }];

export function Palette() {
  const t = useT();
  const flow = useReactFlow();
  const add = (kind: PaletteKind) => {
    const box = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
    const center = box ? flow.screenToFlowPosition({ x: box.x + box.width / 2, y: box.y + box.height / 2 }) : { x: 0, y: 0 };
    // The store moves it to the nearest free spot, so successive clicks never pile up.
    useEditor.getState().place(kind, { x: center.x - 100, y: center.y - 40 });
  };
  const section = (title: MessageKey, items: Item[]) => (
    <section className="palette-section">
      <h3>{t(title)}</h3>
      {items.map((it) => (
        <button
          key={it.kind}
          type="button"
          className={`palette-item palette-${it.kind.replace(':', '-')}`}
          draggable
          data-testid={`palette-${it.kind.replace(':', '-')}`}
          onDragStart={(e: DragEvent) => {
            e.dataTransfer.setData(PALETTE_MIME, it.kind);
            e.dataTransfer.effectAllowed = 'copy';
          }}
          onClick={() => add(it.kind)}
        >
          <span className="palette-icon">
            <Icon name={it.icon} />
          </span>
          <span>{t(it.label)}</span>
        </button>
      ))}
    </section>
  );
  return (
    <aside className="palette" aria-label={t('palette.title')} data-testid="palette">
      {section('palette.vms', VMS)}
      {section('palette.networks', NETS)}
      {section('palette.services', SERVICES)}
      <p className="palette-hint">{t('palette.hint')}</p>
    </aside>
  );
}
