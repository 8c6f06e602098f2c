/**
 * A template in one step: `template:create` (Ubuntu 22.04 from its cloud
 * image OVA, or a local .ova / URL), progress from `task:update`, cancel,
 * and the new template in the list when it is done.
 */
import { useId, useMemo } from 'react';
import { useT } from '../../i18n/useT';
import { taskText } from '../../lib/lab-steps';
import { useApp } from '../../stores/app-store';
import { useSettings } from '../../stores/settings-store';
import { StateIcon } from '../shell/LabGate';
import { FailureNote } from './CheckNote';

export function TemplateMaker() {
  const t = useT();
  const id = useId();
  const tpl = useSettings((s) => s.template);
  const desktop = useApp((s) => s.info?.mode === 'desktop');
  const tasks = useApp((s) => s.tasks);
  const lang = useApp((s) => s.language);
  // This tab's task, else a template task started elsewhere that is still running.
  const task = useMemo(() => (tpl.taskId ? tasks[tpl.taskId] : Object.values(tasks).find((x) => x.kind === 'template' && x.state === 'running')), [tasks, tpl.taskId]);
  const running = task?.state === 'running';
  const st = useSettings.getState();
  return (
    <section className="panel template-maker" data-testid="template-maker">
      <div className="panel-head">
        <h3>{t('template.title')}</h3>
      </div>
      <p className="muted small-text">{t('template.intro')}</p>
      <div className="field">
        <label htmlFor={id}>
          {t('template.from')}
          <span className="field-hint">{t('template.fromHint')}</span>
        </label>
        <div className="path-input">
          <input id={id} className="mono" data-testid="template-from" value={tpl.from} placeholder={t('template.fromPlaceholder')} spellCheck={false} disabled={running} onChange={(e) => st.setTemplateFrom(e.target.value)} />
          {desktop && (
            <button type="button" data-testid="template-from-browse" disabled={running} onClick={async () => {
              const p = await useSettings.getState().pick('ova');
              if (p) useSettings.getState().setTemplateFrom(p);
            }}>
              {t('settings.browse')}
            </button>
          )}
        </div>
      </div>
      <div className="row-actions">
        <button type="button" className="primary" data-testid="template-create" disabled={running} onClick={() => void st.createTemplate()}>
          {t('template.create')}
        </button>
        {running && task && (
          <button type="button" data-testid="template-cancel" onClick={() => void st.cancelTemplate(task.id)}>
            {t('template.cancel')}
          </button>
        )}
      </div>
      {tpl.startError && <FailureNote failure={tpl.startError} textKey="template.startFailed" testId="template-start-error" />}
      {task && (
        <div className={`result result-${task.state}`} data-testid="template-task" data-state={task.state}>
          <StateIcon state={task.state} />
          <div>
            <b>{task.state === 'running' ? t('template.running') : task.state === 'done' ? t('template.done', { os: tpl.os }) : task.state === 'failed' ? t('template.failed') : t('template.canceled')}</b>
            {task.step && task.state === 'running' && <div className="muted">{taskText(task, 'step', lang)}</div>}
            {task.progress !== undefined && task.state === 'running' && (
              <div className="meter">
                <div style={{ width: `${Math.round(task.progress * 100)}%`, background: 'var(--accent)' }} />
              </div>
            )}
            {task.error && <pre className="result-error">{taskText(task, 'error', lang)}</pre>}
          </div>
        </div>
      )}
    </section>
  );
}
