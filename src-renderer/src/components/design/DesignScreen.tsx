/**
 * The Design screen: palette, canvas (or plan, or YAML), properties and
 * problems, with the editor's keyboard shortcuts.
 */
import { ReactFlowProvider } from '@xyflow/react';
import { parseElementId } from '../../lib/issue-map';
import { useEffect } from 'react';
import { useApp } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';
import { guardUnsaved, save, useSaveAsPrompt } from '../../stores/file-actions';
import { Canvas } from './Canvas';
import { Palette } from './Palette';
import { PlanView } from './PlanView';
import { ProblemsPanel } from './ProblemsPanel';
import { SaveAsDialog } from './SaveAsDialog';
import { PropertiesPanel } from './PropertiesPanel';
import { Toolbar } from './Toolbar';
import { YamlView } from './YamlView';

const typing = (el: EventTarget | null) => el instanceof HTMLElement && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);

function useShortcuts() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (useApp.getState().screen !== 'design' || useApp.getState().dialog || useSaveAsPrompt.getState().proposed !== undefined) return;
      const ed = useEditor.getState();
      const mod = e.ctrlKey || e.metaKey;
      const k = e.key.toLowerCase();
      if (mod && k === 's') {
        e.preventDefault();
        void save(e.shiftKey);
        return;
      }
      if (mod && k === 'n') {
        e.preventDefault();
        guardUnsaved(() => useApp.getState().setDialog({ kind: 'new' }));
        return;
      }
      if (mod && k === 'o') {
        e.preventDefault();
        document.querySelector<HTMLButtonElement>('[data-testid="file-open"]')?.click();
        return;
      }
      // Inside a text box, undo/copy/delete belong to the text box.
      if (typing(e.target)) return;
      if (mod && k === 'z') {
        e.preventDefault();
        if (e.shiftKey) ed.redo();
        else ed.undo();
      } else if (mod && k === 'y') {
        e.preventDefault();
        ed.redo();
      } else if (mod && k === 'c') ed.copy();
      else if (mod && k === 'v') ed.paste();
      else if (mod && k === 'd') {
        e.preventDefault();
        ed.copy();
        ed.paste();
      } else if (mod && k === 'l') {
        e.preventDefault();
        ed.autoLayout();
      } else if (mod && k === 'a') {
        if (useApp.getState().designTab !== 'canvas') return;
        e.preventDefault();
        ed.selectAll();
      } else if (!mod && k.startsWith('arrow') && ed.selected.length > 0) {
        // A focused card moves itself (React Flow); otherwise the selection moves here.
        if ((e.target as HTMLElement | null)?.closest?.('.react-flow__node, .react-flow__nodesselection-rect')) return;
        e.preventDefault();
        const step = e.shiftKey ? 40 : 10;
        const [dx, dy] = k === 'arrowleft' ? [-step, 0] : k === 'arrowright' ? [step, 0] : k === 'arrowup' ? [0, -step] : [0, step];
        ed.nudge(dx, dy);
      } else if (k === 'enter') {
        // Enter on a focused card: select it and move to its first field in Properties.
        const el = (e.target as HTMLElement | null)?.closest?.<HTMLElement>('.react-flow__node');
        const ref = el?.dataset.id ? parseElementId(el.dataset.id) : undefined;
        if (!ref) return;
        e.preventDefault();
        ed.select(ref);
        requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-testid="properties"] input, [data-testid="properties"] select')?.focus());
      } else if (k === 'delete' || k === 'backspace') {
        e.preventDefault();
        ed.deleteSelection();
      } else if (k === 'escape') ed.select(null);
      else if (!mod && k === 'f') useEditor.setState({ fitRequest: ed.fitRequest + 1 });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

function DesignBody() {
  const tab = useApp((s) => s.designTab);
  useShortcuts();
  return (
    <div className="design" data-testid="screen-design">
      <Toolbar />
      <div className="design-main">
        {tab === 'canvas' && <Palette />}
        <div className="design-center">
          {tab === 'canvas' ? <Canvas /> : tab === 'plan' ? <PlanView /> : <YamlView />}
          <ProblemsPanel />
        </div>
        <PropertiesPanel />
      </div>
      <SaveAsDialog />
    </div>
  );
}

export function DesignScreen() {
  return (
    <ReactFlowProvider>
      <DesignBody />
    </ReactFlowProvider>
  );
}
