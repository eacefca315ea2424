/** Placeholder shell; the real layout (canvas, inspector, timeline, controls) replaces it. */
export function App() {
  return (
    <main>
      <h1>tagflow</h1>
      <p>Packets and the m_tags riding on them, flowing through a kernel network stack.</p>
    </main>
  );
}
