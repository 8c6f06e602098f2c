/**
 * Backend text that says "… in Settings …": the word becomes a link to the
 * Settings screen.
 */
import { splitAtSettings } from '../../lib/settings-model';
import { useApp } from '../../stores/app-store';

export function SettingsLinked({ text }: { text: string }) {
  const parts = splitAtSettings(text);
  if (!parts) return <>{text}</>;
  return (
    <>
      {parts[0]}
      <a
        href="#settings"
        className="settings-link"
        data-testid="link-settings"
        onClick={(e) => {
          // Inside a provider button: open Settings, do not pick the provider.
          e.preventDefault();
          e.stopPropagation();
          useApp.getState().setScreen('settings');
        }}
      >
        {parts[1]}
      </a>
      {parts[2]}
    </>
  );
}
