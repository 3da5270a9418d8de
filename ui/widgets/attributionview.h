// The Attribution tab (issue #20): a method chooser, the attribution of the selected output
// over the source tokens on the heatmap's rows and columns (a diverging scale for signed
// methods), each row's agreement with the attention in the right margin, and the sentence's
// figures below. Computed by AttributionModel while the tab is shown.
#pragma once

#include <QString>
#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace attnviz {

class AttributionModel;
class ResultSelection;

class AttributionCanvas : public QWidget
{
    Q_OBJECT

public:
    AttributionCanvas(AttributionModel *model, QWidget *parent = nullptr);
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return {200, 120}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    AttributionModel *m_model;
};

class AttributionPanel : public QWidget
{
    Q_OBJECT

public:
    AttributionPanel(ResultSelection *selection, QWidget *parent = nullptr);
    AttributionModel *model() const { return m_model; }
    QString summaryText() const; // the sentence's figures, or why there are none

    // The figure of the attribution shown (attributionfigure.h) to path, by its suffix (.png at
    // pngDpi, .svg, .pdf), written atomically; false with *error when none is computed yet, the
    // suffix is not a figure's or the write fails. `title` above the figure when not empty.
    bool exportFigure(const QString &path, int pngDpi, const QString &title, QString *error) const;
    // Exports to path now when the attribution is computed, else as soon as it is (the tab must
    // be shown for it to compute); a later request, a cancel or a new sentence drops a waiting one.
    void requestExport(const QString &path, int pngDpi, const QString &title);
    bool hasPendingExport() const { return m_pending.has_value(); }

signals:
    void exportRequested(); // the tab's Export… button: the window asks for the file
    void exported(const QString &path);
    void exportFailed(const QString &error);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void update();
    void writePendingExport();

    struct PendingExport
    {
        QString path, title;
        int dpi = 0;
        quint64 serial = 0; // the output it was asked for
    };
    std::optional<PendingExport> m_pending;

    AttributionModel *m_model;
    QComboBox *m_method;
    QSpinBox *m_steps;
    QLabel *m_status;
    QPushButton *m_cancel;
    QPushButton *m_export;
    AttributionCanvas *m_canvas;
    ResultSelection *m_selection;
};

} // namespace attnviz
