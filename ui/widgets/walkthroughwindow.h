// View → Walkthrough (F5): a window of its own (for a projector or a second screen) that plays the
// selected hypothesis one decoder step at a time, in four stages (docs/walkthrough.md). It
// follows the ResultSelection; its state is a WalkthroughModel; the page is drawn by
// paintWalkthroughPage(), as in the exports.
#pragma once

#include "walkthroughmodel.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QSpinBox;
class QToolButton;

namespace attnviz {

class ResultSelection;

class WalkthroughWindow : public QWidget
{
    Q_OBJECT
public:
    explicit WalkthroughWindow(ResultSelection *selection, QWidget *parent = nullptr);

    WalkthroughModel *model() const { return m_model; }
    QWidget *canvas() const { return m_canvas; }
    QComboBox *headChooser() const { return m_head; } // shown for transformers
    // Reads the selection's output again (also done whenever it changes while the window shows).
    void refresh();
    // File → Export walkthrough…: asks where (PDF, GIF or a folder of PNG), writes every page of
    // the selection's hypothesis; returns the path written, or empty (cancelled or failed: said).
    QString exportDialog(const QString &directory);

protected:
    void keyPressEvent(QKeyEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    void updateControls();
    void updateHeadChooser(); // a transformer's layers x heads, the explained one current
    void moveHead(int layers, int heads); // H / L: by heads within the layer, or by layers

    ResultSelection *m_selection;
    WalkthroughModel *m_model;
    QWidget *m_canvas;
    QToolButton *m_first, *m_previous, *m_play, *m_next, *m_last;
    QComboBox *m_speed;
    QSpinBox *m_topK;
    QComboBox *m_head; // transformers: which layer's head the pages explain
    QLabel *m_position;
};

} // namespace attnviz
