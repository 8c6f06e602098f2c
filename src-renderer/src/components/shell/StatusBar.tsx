/**
 * The status bar: validation summary, running tasks (from `task:update`
 * events) and the transport.
 */
import { useT } from '../../i18n/useT';
import { taskText } from '../../lib/lab-steps';
import { useApp } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';

export function StatusBar() {
  const t = useT();
  const errors = useEditor((s) => s.issues.errors);
  const warnings = useEditor((s) => s.issues.warnings);
  // Nothing placed yet: no red count before the student has done anything.
  const fresh = useEditor((s) => s.data.nodes.length === 0 && s.data.networks.length === 0);
  const tasks = useApp((s) => s.tasks);
  const lang = useApp((s) => s.language);
  const info = useApp((s) => s.info);
  const offline = useApp((s) => s.offline);
  const list = Object.values(tasks);
  const running = list.filter((x) => x.state === 'running');
  const recent = list.filter((x) => x.state !== 'running').slice(-2);
  return (
    <footer className="statusbar" data-testid="statusbar">
      <span className={`status-validation ${fresh ? '' : errors ? 'bad' : warnings ? 'warn' : 'ok'}`} data-testid="status-validation">
        {fresh ? '' : errors === 0 && warnings === 0 ? t('status.valid') : `${t('status.errors', { count: errors })} · ${t('status.warnings', { count: warnings })}`}
      </span>
      <span className="status-tasks" data-testid="status-tasks">
        {running.length === 0 && recent.length === 0 && t('status.noTasks')}
        {running.map((task) => (
          <span key={task.id} className="task">
            <span className="spinner" aria-hidden="true" />
            {taskText(task, 'title', lang)}
            {task.step && <span className="muted"> — {taskText(task, 'step', lang)}</span>}
            {task.progress !== undefined && (
              <span className="task-progress">
                <span style={{ width: `${Math.round(task.progress * 100)}%` }} />
              </span>
            )}
          </span>
        ))}
        {recent.map((task) => (
          <span key={task.id} className={`task task-${task.state}`}>
            {taskText(task, 'title', lang)}: {t(`status.task.${task.state as 'done' | 'failed' | 'canceled'}`)}
            {task.error && <span className="muted"> — {taskText(task, 'error', lang)}</span>}
          </span>
        ))}
      </span>
      <span className="status-mode">
        {offline ? <span className="bad">{t('shell.offline')}</span> : info ? `${t(info.mode === 'desktop' ? 'shell.mode.desktop' : 'shell.mode.web')} · ${info.version}` : ''}
      </span>
    </footer>
  );
}
